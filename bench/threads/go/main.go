// Go channels peer for the thread-safe queue workloads T1-T5 (see bench/threads/README.md).
// Run with GOMAXPROCS=2. Go has no threads-versus-loops distinction: every side is a goroutine,
// and the scheduler parks and wakes them; the shapes are those of the other implementations:
//
//	T1, T2, T3  one producer goroutine -> one consumer goroutine, a channel of capacity 1024
//	T4          ping-pong between two goroutines through two channels of capacity 1
//	T5          4 producer goroutines -> 1 consumer, capacity 1024
//
// With --locked first, every side locks its goroutine to its own OS thread
// (runtime.LockOSThread): the shape of the C++ programs, where each side is a thread or a loop
// on a thread of its own, and a hand-off between sides is a wake-up of another thread.
//
// Usage: go_threads [--locked] [T1 T2 T3 T4 T5]. Prints "RESULT <name> <value> <unit>", "CHECK <name>/n=<N> <sum>".
package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
)

const (
	n           = 1_000_000 // T1, T2, T3, T5 items
	t4N         = 100_000   // T4 round trips
	capacity    = 1024
	t5Producers = 4
)

// cpuNs is the CPU time of the whole process (every thread, the garbage collector's too).
var locked bool

// side pins the calling goroutine to its OS thread in --locked mode.
func side() {
	if locked {
		runtime.LockOSThread()
	}
}

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

func mallocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}

func report(name string, sw *stopwatch, items int, check int64, allocs0 uint64) {
	fmt.Printf("RESULT %s %.3f ns/item\n", name, float64(sw.cpu1-sw.cpu0)/float64(items))
	fmt.Printf("RESULT %s_wall %.3f ns/item\n", name, float64(sw.wall1.Sub(sw.wall0).Nanoseconds())/float64(items))
	fmt.Printf("RESULT %s_allocs %.6f allocs/item\n", name, float64(mallocs()-allocs0)/float64(items))
	fmt.Printf("CHECK %s/n=%d %d\n", name, items, check)
}

func oneToOne(name string) {
	a := mallocs()
	sw := startWatch()
	ch := make(chan int32, capacity)
	done := make(chan int64)
	go func() {
		side()
		var s int64
		for i := 0; i < n; i++ {
			s += int64(<-ch)
		}
		done <- s
	}()
	for i := int32(0); i < n; i++ {
		ch <- i
	}
	s := <-done
	sw.stop()
	report(name, sw, n, s, a)
}

func t4() {
	a := mallocs()
	sw := startWatch()
	ping, pong := make(chan int32, 1), make(chan int32, 1)
	go func() {
		side()
		for i := 0; i < t4N; i++ {
			pong <- <-ping
		}
	}()
	var s int64
	for i := int32(0); i < t4N; i++ {
		ping <- i
		v := <-pong
		if v != i {
			panic("T4: wrong item")
		}
		s += int64(v)
	}
	sw.stop()
	report("T4", sw, t4N, s, a)
}

func t5() {
	a := mallocs()
	sw := startWatch()
	ch := make(chan int32, capacity)
	for p := 0; p < t5Producers; p++ {
		go func(p int) {
			side()
			for i := p; i < n; i += t5Producers {
				ch <- int32(i)
			}
		}(p)
	}
	var s int64
	for i := 0; i < n; i++ {
		s += int64(<-ch)
	}
	sw.stop()
	report("T5", sw, n, s, a)
}

func main() {
	all := map[string]func(){
		"T1": func() { oneToOne("T1") },
		"T2": func() { oneToOne("T2") },
		"T3": func() { oneToOne("T3") },
		"T4": t4,
		"T5": t5,
	}
	names := os.Args[1:]
	if len(names) > 0 && names[0] == "--locked" {
		locked = true
		names = names[1:]
	}
	side() // the main goroutine: the producer of T1-T3, the pinger of T4, the consumer of T5
	if len(names) == 0 {
		names = []string{"T1", "T2", "T3", "T4", "T5"}
	}
	for _, name := range names {
		f, ok := all[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown workload %s\n", name)
			os.Exit(2)
		}
		f()
	}
}
