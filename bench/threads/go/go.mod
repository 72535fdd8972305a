module asyncio_bench_threads_go

go 1.19
