// The example at the end of Python's asyncio.Queue documentation, ported line by line:
// three workers take random sleep times from a queue; main() waits for the queue to be
// processed with join(), then cancels the workers and gathers them.
#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

asyncio::Task<> worker(std::string name, asyncio::Queue<double>& queue) {
    while (true) {
        // Get a "work item" out of the queue.
        const double sleep_for = co_await queue.get();

        // Sleep for the "sleep_for" seconds.
        co_await asyncio::sleep(sleep_for);

        // Notify the queue that the "work item" has been processed.
        queue.task_done();

        std::printf("%s has slept for %.2f seconds\n", name.c_str(), sleep_for);
    }
}

asyncio::Task<> main_task() {
    // Create a queue that we will use to store our "workload".
    asyncio::Queue<double> queue;

    // Generate random timings and put them into the queue.
    std::mt19937_64 random{std::random_device{}()};
    std::uniform_real_distribution<double> uniform(0.05, 1.0);
    double total_sleep_time = 0;
    for (int i = 0; i < 20; ++i) {
        const double sleep_for = uniform(random);
        total_sleep_time += sleep_for;
        queue.put_nowait(sleep_for);
    }

    // Create three worker tasks to process the queue concurrently.
    std::vector<asyncio::Task<>> tasks;
    for (int i = 0; i < 3; ++i) {
        tasks.push_back(asyncio::create_task(worker("worker-" + std::to_string(i), queue)));
    }

    // Wait until the queue is fully processed.
    const auto started_at = std::chrono::steady_clock::now();
    co_await queue.join();
    const std::chrono::duration<double> total_slept_for = std::chrono::steady_clock::now() - started_at;

    // Cancel our worker tasks.
    for (auto& task : tasks) {
        task.cancel();
    }
    // Wait until all worker tasks are cancelled.
    co_await asyncio::gather(asyncio::return_exceptions, tasks);

    std::printf("====\n");
    std::printf("3 workers slept in parallel for %.2f seconds\n", total_slept_for.count());
    std::printf("total expected sleep time: %.2f seconds\n", total_sleep_time);
}

int main() {
    asyncio::run(main_task());
}
