// The two floors of the thread-safe queue workloads T1-T5 (see bench/threads/README.md):
//
//   floor condvar T<k>  a bounded queue of ints under one std::mutex with two
//                       std::condition_variables (not_empty, not_full), each notified only when
//                       a thread waits on it: what a careful hand-written blocking queue costs;
//   floor spsc T<k>     a lock-free single-producer single-consumer ring (a power-of-two array,
//                       one atomic index per side on its own cache line, each side caching the
//                       other's index); a side that finds the ring full or empty spins 64 times
//                       with `pause`, then calls sched_yield() — it never sleeps, so it burns its
//                       core while waiting: a floor for the hand-off itself, not a usable queue.
//                       T5 (4 producers) uses 4 rings, the consumer polling them in turn.
//
// There is no event loop here: the "loop" side of T1, T2, T4 and T5 is a plain thread, so T1, T2
// and T3 are the same program (each is measured on its own all the same). T4 is two threads
// ping-ponging through two queues of capacity 1.
//
// Usage: floor condvar|spsc [T1 T2 T3 T4 T5]   Prints the lines of threads_common.hpp.
#include <emmintrin.h>
#include <sched.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "threads_common.hpp"

namespace {

class CondvarQueue {
public:
    explicit CondvarQueue(std::size_t capacity) : buf_(capacity), cap_(capacity) {}
    void put(int v) {
        std::unique_lock lk(m_);
        while (size_ == cap_) {
            ++put_waiting_;
            not_full_.wait(lk);
            --put_waiting_;
        }
        buf_[(head_ + size_) % cap_] = v;
        ++size_;
        const bool wake = get_waiting_ > 0;
        lk.unlock();
        if (wake) not_empty_.notify_one();
    }
    int get() {
        std::unique_lock lk(m_);
        while (size_ == 0) {
            ++get_waiting_;
            not_empty_.wait(lk);
            --get_waiting_;
        }
        const int v = buf_[head_];
        head_ = (head_ + 1) % cap_;
        --size_;
        const bool wake = put_waiting_ > 0;
        lk.unlock();
        if (wake) not_full_.notify_one();
        return v;
    }

private:
    std::mutex m_;
    std::condition_variable not_empty_, not_full_;
    std::vector<int> buf_;
    std::size_t cap_, head_ = 0, size_ = 0;
    int get_waiting_ = 0, put_waiting_ = 0;
};

inline void backoff(int& spins) {
    if (++spins < 64) {
        _mm_pause();
    } else {
        spins = 0;
        sched_yield();
    }
}

// Capacity rounded up to a power of two (1 stays 1).
class SpscRing {
public:
    explicit SpscRing(std::size_t capacity) {
        std::size_t c = 1;
        while (c < capacity) c <<= 1;
        mask_ = c - 1;
        buf_ = std::make_unique<int[]>(c);
    }
    bool try_put(int v) {
        const std::size_t t = tail_.load(std::memory_order_relaxed);
        if (t - head_cache_ > mask_) {
            head_cache_ = head_.load(std::memory_order_acquire);
            if (t - head_cache_ > mask_) return false;
        }
        buf_[t & mask_] = v;
        tail_.store(t + 1, std::memory_order_release);
        return true;
    }
    bool try_get(int& v) {
        const std::size_t h = head_.load(std::memory_order_relaxed);
        if (h == tail_cache_) {
            tail_cache_ = tail_.load(std::memory_order_acquire);
            if (h == tail_cache_) return false;
        }
        v = buf_[h & mask_];
        head_.store(h + 1, std::memory_order_release);
        return true;
    }
    void put(int v) {
        for (int spins = 0; !try_put(v);) backoff(spins);
    }
    int get() {
        int v;
        for (int spins = 0; !try_get(v);) backoff(spins);
        return v;
    }

private:
    alignas(64) std::atomic<std::size_t> head_{0};  // the consumer's
    std::size_t tail_cache_ = 0;                    // the consumer's copy of tail_
    alignas(64) std::atomic<std::size_t> tail_{0};  // the producer's
    std::size_t head_cache_ = 0;                    // the producer's copy of head_
    alignas(64) std::size_t mask_ = 0;
    std::unique_ptr<int[]> buf_;
};

template <class Q>
void one_to_one(const char* name) {
    const int n = tbench::n;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        Q q(tbench::capacity);
        std::thread consumer([&q, &sum, n] {
            for (int i = 0; i < n; ++i) sum += q.get();
        });
        for (int i = 0; i < n; ++i) q.put(i);
        consumer.join();
    }
    sw.stop();
    tbench::report(name, sw, n, sum);
}

template <class Q>
void ping_pong() {
    const int n = tbench::t4_n;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        Q ping(1), pong(1);
        std::thread other([&ping, &pong, n] {
            for (int i = 0; i < n; ++i) pong.put(ping.get());
        });
        for (int i = 0; i < n; ++i) {
            ping.put(i);
            const int v = pong.get();
            if (v != i) throw std::runtime_error("T4: wrong item");
            sum += v;
        }
        other.join();
    }
    sw.stop();
    tbench::report("T4", sw, n, sum);
}

void t5_condvar() {
    const int n = tbench::n;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        CondvarQueue q(tbench::capacity);
        std::vector<std::thread> producers;
        for (int p = 0; p < tbench::t5_producers; ++p)
            producers.emplace_back([&q, n, p] {
                for (int i = p; i < n; i += tbench::t5_producers) q.put(i);
            });
        for (int i = 0; i < n; ++i) sum += q.get();
        for (auto& t : producers) t.join();
    }
    sw.stop();
    tbench::report("T5", sw, n, sum);
}

void t5_spsc() {
    const int n = tbench::n, k = tbench::t5_producers;
    long long sum = 0;
    tbench::Stopwatch sw;
    {
        std::vector<std::unique_ptr<SpscRing>> rings;
        for (int p = 0; p < k; ++p) rings.push_back(std::make_unique<SpscRing>(tbench::capacity / k));
        std::vector<std::thread> producers;
        for (int p = 0; p < k; ++p)
            producers.emplace_back([r = rings[p].get(), n, p, k] {
                for (int i = p; i < n; i += k) r->put(i);
            });
        int spins = 0;
        for (int got = 0, p = 0; got < n; p = (p + 1) % k) {
            int v;
            if (rings[p]->try_get(v)) {
                sum += v;
                ++got;
                spins = 0;
            } else if (p == k - 1) {
                backoff(spins);
            }
        }
        for (auto& t : producers) t.join();
    }
    sw.stop();
    tbench::report("T5", sw, n, sum);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        if (argc < 2 || (std::strcmp(argv[1], "condvar") != 0 && std::strcmp(argv[1], "spsc") != 0)) {
            std::fprintf(stderr, "usage: floor condvar|spsc [T1 T2 T3 T4 T5]\n");
            return 2;
        }
        if (std::strcmp(argv[1], "condvar") == 0)
            return tbench::dispatch(argc - 1, argv + 1,
                                    {{"T1", [] { one_to_one<CondvarQueue>("T1"); }},
                                     {"T2", [] { one_to_one<CondvarQueue>("T2"); }},
                                     {"T3", [] { one_to_one<CondvarQueue>("T3"); }},
                                     {"T4", ping_pong<CondvarQueue>},
                                     {"T5", t5_condvar}});
        return tbench::dispatch(argc - 1, argv + 1,
                                {{"T1", [] { one_to_one<SpscRing>("T1"); }},
                                 {"T2", [] { one_to_one<SpscRing>("T2"); }},
                                 {"T3", [] { one_to_one<SpscRing>("T3"); }},
                                 {"T4", ping_pong<SpscRing>},
                                 {"T5", t5_spsc}});
    } catch (const std::exception& e) {
        std::fprintf(stderr, "floor: %s\n", e.what());
        return 1;
    }
}
