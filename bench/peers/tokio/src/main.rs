//! Tokio mpsc peer for the benchmark workloads (see bench/README.md), on a current-thread runtime.
//!
//! Usage: tokio_mpsc [W1 W2 ...]            timing workloads (default: all)
//!        tokio_mpsc --mem queue|getters    one memory workload (own process)
//!
//! Prints "RESULT <name> <value> <unit>" and "CHECK <name> <sum>" lines.
//! tokio::sync::mpsc has one receiver; where a workload has several consumers (W3, W5),
//! they share it the way Tokio's documentation suggests: Arc<tokio::sync::Mutex<Receiver>>.

use std::collections::BinaryHeap;
use std::cmp::Reverse;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, Mutex};

const N: usize = 1_000_000; // W1, W2, W3 (total), W4, W6, W7 queued ints
const W5_WAITERS: usize = 100_000; // W5 and W7 getters
const BOUNDED: usize = 1024; // W1, W3 capacity
const PRODUCERS: usize = 4;
const CONSUMERS: usize = 4;

/// CPU time of the whole process, in ns. The table reports CPU time: on a shared machine the
/// wall clock also counts other jobs' turns on the core.
fn cpu_ns() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec, which lives on this stack frame.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64
}

struct Stopwatch {
    cpu0: i64,
    wall0: Instant,
    cpu1: i64,
    wall1: Instant,
}

impl Stopwatch {
    fn new() -> Self {
        let (cpu0, wall0) = (cpu_ns(), Instant::now());
        Stopwatch { cpu0, wall0, cpu1: cpu0, wall1: wall0 }
    }
    fn stop(&mut self) {
        self.wall1 = Instant::now();
        self.cpu1 = cpu_ns();
    }
}

fn report(name: &str, sw: &Stopwatch, items: usize, check: i64) {
    let cpu = (sw.cpu1 - sw.cpu0) as f64;
    let wall = (sw.wall1 - sw.wall0).as_nanos() as f64;
    println!("RESULT {} {:.3} ns/item", name, cpu / items as f64);
    println!("RESULT {}_wall {:.3} ns/item", name, wall / items as f64);
    println!("CHECK {} {}", name, check);
}

async fn w1() {
    let (tx, mut rx) = mpsc::channel::<i32>(BOUNDED);
    let mut s: i64 = 0;
    let mut sw = Stopwatch::new();
    for i in 0..N as i32 {
        tx.try_send(i).expect("full");
        s += rx.try_recv().expect("empty") as i64;
    }
    sw.stop();
    report("W1", &sw, N, s);
}

async fn w2() {
    let (tx, mut rx) = mpsc::channel::<i32>(1);
    let mut sw = Stopwatch::new();
    let p = tokio::spawn(async move {
        for i in 0..N as i32 {
            tx.send(i).await.expect("closed");
        }
    });
    let c = tokio::spawn(async move {
        let mut s: i64 = 0;
        for _ in 0..N {
            s += rx.recv().await.expect("closed") as i64;
        }
        s
    });
    p.await.unwrap();
    let s = c.await.unwrap();
    sw.stop();
    report("W2", &sw, N, s);
}

async fn w3() {
    let (tx, rx) = mpsc::channel::<i32>(BOUNDED);
    let rx = Arc::new(Mutex::new(rx));
    let per = N / PRODUCERS;
    let mut sw = Stopwatch::new();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut s: i64 = 0;
                loop {
                    let v = rx.lock().await.recv().await;
                    match v {
                        Some(v) => s += v as i64,
                        None => return s,
                    }
                }
            })
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|_| {
            let tx = tx.clone();
            tokio::spawn(async move {
                for i in 0..per as i32 {
                    tx.send(i).await.expect("closed");
                }
            })
        })
        .collect();
    drop(tx);
    for p in producers {
        p.await.unwrap();
    }
    let mut s: i64 = 0;
    for c in consumers {
        s += c.await.unwrap();
    }
    sw.stop();
    report("W3", &sw, per * PRODUCERS, s);
}

async fn w4() {
    let (tx, mut rx) = mpsc::unbounded_channel::<i32>();
    let mut sw = Stopwatch::new();
    let p = tokio::spawn(async move {
        for i in 0..N as i32 {
            tx.send(i).expect("closed");
            tokio::task::yield_now().await;
        }
    });
    let c = tokio::spawn(async move {
        let mut s: i64 = 0;
        for _ in 0..N {
            s += rx.recv().await.expect("closed") as i64;
        }
        s
    });
    p.await.unwrap();
    let s = c.await.unwrap();
    sw.stop();
    report("W4", &sw, N, s);
}

/// W5: `waiters` tasks blocked receiving; W5_WAITERS items sent one by one, each followed by
/// a yield, until every item was received. With 1 waiter, one task loops on recv().
async fn w5(waiters: usize, name: &str) {
    let (tx, rx) = mpsc::unbounded_channel::<i32>();
    let rx = Arc::new(Mutex::new(rx));
    let started = Arc::new(AtomicUsize::new(0));
    let per_task = W5_WAITERS / waiters;
    let tasks: Vec<_> = (0..waiters)
        .map(|_| {
            let rx = rx.clone();
            let started = started.clone();
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::Relaxed);
                let mut s: i64 = 0;
                for _ in 0..per_task {
                    s += rx.lock().await.recv().await.expect("closed") as i64;
                }
                s
            })
        })
        .collect();
    while started.load(Ordering::Relaxed) < waiters {
        tokio::task::yield_now().await;
    }
    tokio::task::yield_now().await;
    let mut sw = Stopwatch::new();
    for i in 0..W5_WAITERS as i32 {
        tx.send(i).expect("closed");
        tokio::task::yield_now().await;
    }
    let mut s: i64 = 0;
    for t in tasks {
        s += t.await.unwrap();
    }
    sw.stop();
    report(name, &sw, W5_WAITERS, s);
}

fn lcg_values(count: usize) -> Vec<i32> {
    let mut x: u64 = 42;
    (0..count)
        .map(|_| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) as i32
        })
        .collect()
}

/// W6: Tokio has no priority channel; the idiom is std::collections::BinaryHeap.
async fn w6() {
    let values = lcg_values(N);
    let mut heap = BinaryHeap::new();
    let mut s: i64 = 0;
    let mut prev = -1;
    let mut ordered: i64 = 1;
    let mut sw = Stopwatch::new();
    for &v in &values {
        heap.push(Reverse(v));
    }
    for _ in 0..N {
        let Reverse(v) = heap.pop().expect("empty");
        if v < prev {
            ordered = 0;
        }
        prev = v;
        s += v as i64;
    }
    sw.stop();
    report("W6", &sw, N, s * ordered);
}

/// Peak resident set size (the same figure as getrusage's ru_maxrss).
fn maxrss_bytes() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    for line in status.lines() {
        if let Some(rest) = line.strip_prefix("VmHWM:") {
            let kb: i64 = rest.trim().trim_end_matches("kB").trim().parse().expect("VmHWM");
            return kb * 1024;
        }
    }
    panic!("no VmHWM");
}

async fn mem_queue() {
    let (tx, rx) = mpsc::unbounded_channel::<i32>();
    let before = maxrss_bytes();
    for i in 0..N as i32 {
        tx.send(i).expect("closed");
    }
    let after = maxrss_bytes();
    println!("RESULT W7_queue {:.3} bytes/item", (after - before) as f64 / N as f64);
    println!("RESULT W7_queue_peak_rss {} bytes", after);
    drop(rx);
}

async fn mem_getters() {
    let (tx, rx) = mpsc::unbounded_channel::<i32>();
    let rx = Arc::new(Mutex::new(rx));
    let started = Arc::new(AtomicUsize::new(0));
    let before = maxrss_bytes();
    let tasks: Vec<_> = (0..W5_WAITERS)
        .map(|_| {
            let rx = rx.clone();
            let started = started.clone();
            tokio::spawn(async move {
                started.fetch_add(1, Ordering::Relaxed);
                rx.lock().await.recv().await
            })
        })
        .collect();
    while started.load(Ordering::Relaxed) < W5_WAITERS {
        tokio::task::yield_now().await;
    }
    tokio::task::yield_now().await;
    let after = maxrss_bytes();
    println!("RESULT W7_getter {:.3} bytes/task", (after - before) as f64 / W5_WAITERS as f64);
    drop(tx);
    for t in tasks {
        t.await.unwrap();
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() >= 2 && args[0] == "--mem" {
        match args[1].as_str() {
            "queue" => rt.block_on(mem_queue()),
            "getters" => rt.block_on(mem_getters()),
            other => panic!("unknown memory workload {}", other),
        }
        return;
    }
    let all = ["W1", "W2", "W3", "W4", "W5", "W5_1", "W6"];
    let names: Vec<&str> = if args.is_empty() {
        all.to_vec()
    } else {
        args.iter().map(|s| s.as_str()).collect()
    };
    for name in names {
        match name {
            "W1" => rt.block_on(w1()),
            "W2" => rt.block_on(w2()),
            "W3" => rt.block_on(w3()),
            "W4" => rt.block_on(w4()),
            "W5" => rt.block_on(w5(W5_WAITERS, "W5_100k")),
            "W5_1" => rt.block_on(w5(1, "W5_1")),
            "W6" => rt.block_on(w6()),
            other => panic!("unknown workload {}", other),
        }
    }
}
