module asyncio_bench_go

go 1.19
