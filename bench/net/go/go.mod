module asyncio_bench_net_go

go 1.19
