//! The thread-safe queue workloads T1-T5 on Tokio's mpsc and on crossbeam-channel (see
//! bench/threads/README.md).
//!
//! tokio: a multi-thread runtime, one worker per loop side (T1, T2, T5: 1; T4: 2), the loop
//!   sides tasks spawned on it (`send(..).await`, `recv().await`), the thread sides plain
//!   threads calling `blocking_send` / `blocking_recv`; T3 is two plain threads.
//! crossbeam: `crossbeam_channel::bounded`, every side a plain thread (crossbeam has no async face).
//!
//! Usage: rust_threads tokio|crossbeam [T1 T2 T3 T4 T5]. Prints "RESULT <name> <value> <unit>"
//! and "CHECK <name>/n=<N> <sum>" lines.
use std::thread;
use std::time::Instant;
use tokio::sync::mpsc;

const N: usize = 1_000_000; // T1, T2, T3, T5 items
const T4_N: usize = 100_000; // T4 round trips
const CAPACITY: usize = 1024;
const T5_PRODUCERS: usize = 4;

fn cpu_ns() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec, which lives on this stack frame.
    unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    ts.tv_sec as i64 * 1_000_000_000 + ts.tv_nsec as i64
}

struct Stopwatch {
    cpu0: i64,
    wall0: Instant,
}

impl Stopwatch {
    fn new() -> Self {
        Stopwatch { cpu0: cpu_ns(), wall0: Instant::now() }
    }
    fn report(&self, name: &str, items: usize, check: i64) {
        let wall = self.wall0.elapsed().as_nanos() as f64;
        let cpu = (cpu_ns() - self.cpu0) as f64;
        println!("RESULT {} {:.3} ns/item", name, cpu / items as f64);
        println!("RESULT {}_wall {:.3} ns/item", name, wall / items as f64);
        println!("CHECK {}/n={} {}", name, items, check);
    }
}

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(workers).build().expect("runtime")
}

fn tokio_t1(name: &str) {
    let sw = Stopwatch::new();
    let rt = runtime(1);
    let (tx, mut rx) = mpsc::channel::<i32>(CAPACITY);
    let producer = thread::spawn(move || {
        for i in 0..N as i32 {
            tx.blocking_send(i).expect("send");
        }
    });
    let consumer = rt.spawn(async move {
        let mut s: i64 = 0;
        for _ in 0..N {
            s += rx.recv().await.expect("recv") as i64;
        }
        s
    });
    let s = rt.block_on(consumer).expect("join");
    producer.join().expect("producer");
    drop(rt);
    sw.report(name, N, s);
}

fn tokio_t2() {
    let sw = Stopwatch::new();
    let rt = runtime(1);
    let (tx, mut rx) = mpsc::channel::<i32>(CAPACITY);
    let consumer = thread::spawn(move || {
        let mut s: i64 = 0;
        for _ in 0..N {
            s += rx.blocking_recv().expect("recv") as i64;
        }
        s
    });
    let producer = rt.spawn(async move {
        for i in 0..N as i32 {
            tx.send(i).await.expect("send");
        }
    });
    rt.block_on(producer).expect("join");
    let s = consumer.join().expect("consumer");
    drop(rt);
    sw.report("T2", N, s);
}

fn tokio_t3() {
    let sw = Stopwatch::new();
    let (tx, mut rx) = mpsc::channel::<i32>(CAPACITY);
    let consumer = thread::spawn(move || {
        let mut s: i64 = 0;
        for _ in 0..N {
            s += rx.blocking_recv().expect("recv") as i64;
        }
        s
    });
    for i in 0..N as i32 {
        tx.blocking_send(i).expect("send");
    }
    let s = consumer.join().expect("consumer");
    sw.report("T3", N, s);
}

fn tokio_t4() {
    let sw = Stopwatch::new();
    let rt = runtime(2);
    let (ping_tx, mut ping_rx) = mpsc::channel::<i32>(1);
    let (pong_tx, mut pong_rx) = mpsc::channel::<i32>(1);
    let ponger = rt.spawn(async move {
        for _ in 0..T4_N {
            let v = ping_rx.recv().await.expect("recv");
            pong_tx.send(v).await.expect("send");
        }
    });
    let pinger = rt.spawn(async move {
        let mut s: i64 = 0;
        for i in 0..T4_N as i32 {
            ping_tx.send(i).await.expect("send");
            let v = pong_rx.recv().await.expect("recv");
            assert_eq!(v, i, "T4: wrong item");
            s += v as i64;
        }
        s
    });
    let s = rt.block_on(pinger).expect("join");
    rt.block_on(ponger).expect("join");
    drop(rt);
    sw.report("T4", T4_N, s);
}

fn tokio_t5() {
    let sw = Stopwatch::new();
    let rt = runtime(1);
    let (tx, mut rx) = mpsc::channel::<i32>(CAPACITY);
    let producers: Vec<_> = (0..T5_PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in (p..N).step_by(T5_PRODUCERS) {
                    tx.blocking_send(i as i32).expect("send");
                }
            })
        })
        .collect();
    drop(tx);
    let consumer = rt.spawn(async move {
        let mut s: i64 = 0;
        for _ in 0..N {
            s += rx.recv().await.expect("recv") as i64;
        }
        s
    });
    let s = rt.block_on(consumer).expect("join");
    for p in producers {
        p.join().expect("producer");
    }
    drop(rt);
    sw.report("T5", N, s);
}

fn crossbeam_one_to_one(name: &str) {
    let sw = Stopwatch::new();
    let (tx, rx) = crossbeam_channel::bounded::<i32>(CAPACITY);
    let consumer = thread::spawn(move || {
        let mut s: i64 = 0;
        for _ in 0..N {
            s += rx.recv().expect("recv") as i64;
        }
        s
    });
    for i in 0..N as i32 {
        tx.send(i).expect("send");
    }
    let s = consumer.join().expect("consumer");
    sw.report(name, N, s);
}

fn crossbeam_t4() {
    let sw = Stopwatch::new();
    let (ping_tx, ping_rx) = crossbeam_channel::bounded::<i32>(1);
    let (pong_tx, pong_rx) = crossbeam_channel::bounded::<i32>(1);
    let other = thread::spawn(move || {
        for _ in 0..T4_N {
            pong_tx.send(ping_rx.recv().expect("recv")).expect("send");
        }
    });
    let mut s: i64 = 0;
    for i in 0..T4_N as i32 {
        ping_tx.send(i).expect("send");
        let v = pong_rx.recv().expect("recv");
        assert_eq!(v, i, "T4: wrong item");
        s += v as i64;
    }
    other.join().expect("other");
    sw.report("T4", T4_N, s);
}

fn crossbeam_t5() {
    let sw = Stopwatch::new();
    let (tx, rx) = crossbeam_channel::bounded::<i32>(CAPACITY);
    let producers: Vec<_> = (0..T5_PRODUCERS)
        .map(|p| {
            let tx = tx.clone();
            thread::spawn(move || {
                for i in (p..N).step_by(T5_PRODUCERS) {
                    tx.send(i as i32).expect("send");
                }
            })
        })
        .collect();
    let mut s: i64 = 0;
    for _ in 0..N {
        s += rx.recv().expect("recv") as i64;
    }
    for p in producers {
        p.join().expect("producer");
    }
    sw.report("T5", N, s);
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map(String::as_str).unwrap_or("");
    if which != "tokio" && which != "crossbeam" {
        eprintln!("usage: rust_threads tokio|crossbeam [T1 T2 T3 T4 T5]");
        std::process::exit(2);
    }
    let all = ["T1", "T2", "T3", "T4", "T5"];
    let names: Vec<&str> = if args.len() > 1 { args[1..].iter().map(String::as_str).collect() } else { all.to_vec() };
    for name in names {
        match (which, name) {
            ("tokio", "T1") => tokio_t1("T1"),
            ("tokio", "T2") => tokio_t2(),
            ("tokio", "T3") => tokio_t3(),
            ("tokio", "T4") => tokio_t4(),
            ("tokio", "T5") => tokio_t5(),
            ("crossbeam", "T1") | ("crossbeam", "T2") | ("crossbeam", "T3") => crossbeam_one_to_one(name),
            ("crossbeam", "T4") => crossbeam_t4(),
            ("crossbeam", "T5") => crossbeam_t5(),
            _ => {
                eprintln!("unknown workload {}", name);
                std::process::exit(2);
            }
        }
    }
}
