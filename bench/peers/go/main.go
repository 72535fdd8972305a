// Go channels peer for the benchmark workloads (see bench/README.md). Run with GOMAXPROCS=1.
//
// Usage:
//
//	go_channels [W1 W2 ...]            timing workloads (default: all)
//	go_channels --mem queue|getters    one memory workload (own process)
//
// Prints "RESULT <name> <value> <unit>" and "CHECK <name> <sum>" lines.
// Go has no unbounded channel: where the workload says "unbounded", the channel's
// capacity is the number of items, which never fills.
package main

import (
	"container/heap"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	n         = 1_000_000 // W1, W2, W3 (total), W4, W6, W7 queued ints
	w5Waiters = 100_000   // W5 and W7 getters
	bounded   = 1024      // W1, W3 capacity
	producers = 4
	consumers = 4
)

// cpuNs is the CPU time of the whole process (every thread, the garbage collector's too). The
// table reports CPU time: on a shared machine the wall clock also counts other jobs' turns.
func cpuNs() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

type stopwatch struct {
	cpu0, cpu1   int64
	wall0, wall1 time.Time
}

func startWatch() *stopwatch { return &stopwatch{cpu0: cpuNs(), wall0: time.Now()} }
func (s *stopwatch) stop()   { s.wall1 = time.Now(); s.cpu1 = cpuNs() }

func report(name string, sw *stopwatch, items int, check int64) {
	fmt.Printf("RESULT %s %.3f ns/item\n", name, float64(sw.cpu1-sw.cpu0)/float64(items))
	fmt.Printf("RESULT %s_wall %.3f ns/item\n", name, float64(sw.wall1.Sub(sw.wall0).Nanoseconds())/float64(items))
	fmt.Printf("CHECK %s %d\n", name, check)
}

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

func reportAllocs(name string, before uint64, items int) {
	fmt.Printf("RESULT %s_allocs %.6f allocs/item\n", name, float64(mallocs()-before)/float64(items))
}

func w1() {
	ch := make(chan int32, bounded)
	var s int64
	a := mallocs()
	sw := startWatch()
	for i := int32(0); i < n; i++ {
		select {
		case ch <- i:
		default:
			panic("full")
		}
		select {
		case v := <-ch:
			s += int64(v)
		default:
			panic("empty")
		}
	}
	sw.stop()
	report("W1", sw, n, s)
	reportAllocs("W1", a, n)
}

func w2() {
	ch := make(chan int32, 1)
	var s int64
	var wg sync.WaitGroup
	a := mallocs()
	sw := startWatch()
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := int32(0); i < n; i++ {
			ch <- i
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			s += int64(<-ch)
		}
	}()
	wg.Wait()
	sw.stop()
	report("W2", sw, n, s)
	reportAllocs("W2", a, n)
}

// W3: Go has no task_done/join; the idiom is to close the channel once every producer
// is done and to wait for the consumers to drain it.
func w3() {
	ch := make(chan int32, bounded)
	per := n / producers
	var s int64
	var wp, wc sync.WaitGroup
	a := mallocs()
	sw := startWatch()
	wc.Add(consumers)
	for c := 0; c < consumers; c++ {
		go func() {
			defer wc.Done()
			var local int64
			for v := range ch {
				local += int64(v)
			}
			atomic.AddInt64(&s, local)
		}()
	}
	wp.Add(producers)
	for p := 0; p < producers; p++ {
		go func() {
			defer wp.Done()
			for i := int32(0); i < int32(per); i++ {
				ch <- i
			}
		}()
	}
	wp.Wait()
	close(ch)
	wc.Wait()
	sw.stop()
	report("W3", sw, per*producers, s)
	reportAllocs("W3", a, per*producers)
}

func w4() {
	ch := make(chan int32, n)
	var s int64
	var wg sync.WaitGroup
	sw := startWatch()
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := int32(0); i < n; i++ {
			ch <- i
			runtime.Gosched()
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			s += int64(<-ch)
		}
	}()
	wg.Wait()
	sw.stop()
	report("W4", sw, n, s)
}

// W5: `waiters` goroutines blocked receiving; w5Waiters items sent one by one, each
// followed by a yield, until every item was received. With 1 waiter, one goroutine loops.
func w5(waiters int, name string) {
	ch := make(chan int32, w5Waiters)
	perTask := w5Waiters / waiters
	var s int64
	var started int32
	var wg sync.WaitGroup
	wg.Add(waiters)
	for g := 0; g < waiters; g++ {
		go func() {
			defer wg.Done()
			atomic.AddInt32(&started, 1)
			var local int64
			for i := 0; i < perTask; i++ {
				local += int64(<-ch)
			}
			atomic.AddInt64(&s, local)
		}()
	}
	for atomic.LoadInt32(&started) < int32(waiters) {
		runtime.Gosched()
	}
	runtime.Gosched()
	sw := startWatch()
	for i := int32(0); i < w5Waiters; i++ {
		ch <- i
		runtime.Gosched()
	}
	wg.Wait()
	sw.stop()
	report(name, sw, w5Waiters, s)
}

type int32Heap []int32

func (h int32Heap) Len() int            { return len(h) }
func (h int32Heap) Less(i, j int) bool  { return h[i] < h[j] }
func (h int32Heap) Swap(i, j int)       { h[i], h[j] = h[j], h[i] }
func (h *int32Heap) Push(x interface{}) { *h = append(*h, x.(int32)) }
func (h *int32Heap) Pop() interface{} {
	old := *h
	last := len(old) - 1
	x := old[last]
	*h = old[:last]
	return x
}

func lcgValues(count int) []int32 {
	x := uint64(42)
	out := make([]int32, count)
	for i := range out {
		x = x*6364136223846793005 + 1442695040888963407
		out[i] = int32(x >> 33)
	}
	return out
}

// W6: Go has no priority channel; the idiom is container/heap.
func w6() {
	values := lcgValues(n)
	h := &int32Heap{}
	var s int64
	prev := int32(-1)
	ordered := int64(1)
	sw := startWatch()
	for _, v := range values {
		heap.Push(h, v)
	}
	for i := 0; i < n; i++ {
		v := heap.Pop(h).(int32)
		if v < prev {
			ordered = 0
		}
		prev = v
		s += int64(v)
	}
	sw.stop()
	report("W6", sw, n, s*ordered)
}

func maxrssBytes() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Maxrss * 1024
}

func memQueue() {
	before := maxrssBytes()
	ch := make(chan int32, n)
	for i := int32(0); i < n; i++ {
		ch <- i
	}
	after := maxrssBytes()
	fmt.Printf("RESULT W7_queue %.3f bytes/item\n", float64(after-before)/float64(n))
	fmt.Printf("RESULT W7_queue_peak_rss %d bytes\n", after)
	runtime.KeepAlive(ch)
}

func memGetters() {
	ch := make(chan int32)
	var started int32
	var wg sync.WaitGroup
	before := maxrssBytes()
	wg.Add(w5Waiters)
	for g := 0; g < w5Waiters; g++ {
		go func() {
			defer wg.Done()
			atomic.AddInt32(&started, 1)
			<-ch
		}()
	}
	for atomic.LoadInt32(&started) < w5Waiters {
		runtime.Gosched()
	}
	runtime.Gosched()
	after := maxrssBytes()
	fmt.Printf("RESULT W7_getter %.3f bytes/task\n", float64(after-before)/float64(w5Waiters))
	close(ch)
	wg.Wait()
}

func main() {
	args := os.Args[1:]
	if len(args) >= 2 && args[0] == "--mem" {
		switch args[1] {
		case "queue":
			memQueue()
		case "getters":
			memGetters()
		default:
			panic("unknown memory workload " + args[1])
		}
		return
	}
	workloads := map[string]func(){
		"W1": w1, "W2": w2, "W3": w3, "W4": w4,
		"W5":   func() { w5(w5Waiters, "W5_100k") },
		"W5_1": func() { w5(1, "W5_1") },
		"W6":   w6,
	}
	if len(args) == 0 {
		args = []string{"W1", "W2", "W3", "W4", "W5", "W5_1", "W6"}
	}
	for _, name := range args {
		f, ok := workloads[name]
		if !ok {
			panic("unknown workload " + name)
		}
		f()
	}
}
