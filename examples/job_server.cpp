// examples/job_server.cpp - a job server: each connection sends lines "job <n>", its
// handler puts one Job per line in an asyncio::Queue, and a pool of worker tasks
// takes them off the queue, computes the sum 1 + 2 + ... + n and writes the result
// back to the connection the job came from. A client sends five jobs and reads five
// results (the workers finish them in any order: the client sorts them).
#include <asyncio/queues.hpp>
#include <asyncio/runners.hpp>
#include <asyncio/streams.hpp>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

struct Job {
    long n = 0;
    asyncio::StreamWriter reply_to;  // the connection the job came from
};

asyncio::Task<> worker(asyncio::Queue<Job>& jobs) {
    for (;;) {
        Job job = co_await jobs.get();
        long sum = 0;
        for (long i = 1; i <= job.n; ++i) sum += i;
        job.reply_to.write("sum(1.." + std::to_string(job.n) + ") = " + std::to_string(sum) + "\n");
        co_await job.reply_to.drain();
        jobs.task_done();
    }
}

/// One connection: every "job <n>" line becomes a Job on the queue.
asyncio::Task<> handle_connection(asyncio::StreamReader reader, asyncio::StreamWriter writer, asyncio::Queue<Job>* jobs) {
    for (;;) {
        std::string line = co_await reader.readline();
        if (line.empty()) break;  // the client is done sending
        if (line.rfind("job ", 0) != 0) continue;
        Job job{std::stol(line.substr(4)), writer};  // named first: g++ 12 (docs/GCC12.md)
        co_await jobs->put(std::move(job));
    }
}

asyncio::Task<> client(std::uint16_t port) {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    const std::vector<long> ns{10, 100, 1000, 5, 42};
    for (long n : ns) writer.write("job " + std::to_string(n) + "\n");
    co_await writer.drain();
    writer.write_eof();  // no more jobs
    std::vector<std::string> results;
    for (std::size_t i = 0; i < ns.size(); ++i) results.push_back(co_await reader.readline());
    std::sort(results.begin(), results.end());
    for (const std::string& r : results) std::cout << r;
    writer.close();
    co_await writer.wait_closed();
}

asyncio::Task<> main_task() {
    asyncio::Queue<Job> jobs(3);  // a full queue makes connections wait: back-pressure
    std::vector<asyncio::Task<>> workers;
    for (int i = 0; i < 3; ++i) workers.push_back(asyncio::create_task(worker(jobs)));

    auto on_connection = [&jobs](asyncio::StreamReader r, asyncio::StreamWriter w) {
        return handle_connection(std::move(r), std::move(w), &jobs);
    };
    asyncio::Server server = co_await asyncio::start_server(on_connection, "127.0.0.1", 0);
    const std::uint16_t port = server.sockets().at(0).getsockname().port;
    co_await client(port);

    co_await jobs.join();  // every job done
    server.close();
    co_await server.wait_closed();
    for (auto& w : workers) w.cancel();
    for (auto& w : workers) {
        try {
            co_await w;
        } catch (const asyncio::CancelledError&) {
        }
    }
    std::cout << "all jobs done, server closed\n";
}

int main() {
    asyncio::run(main_task());
}

// Output:
// sum(1..10) = 55
// sum(1..100) = 5050
// sum(1..1000) = 500500
// sum(1..42) = 903
// sum(1..5) = 15
// all jobs done, server closed
