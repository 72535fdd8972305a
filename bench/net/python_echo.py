"""bench/net/python_echo.py - the Python echo servers of the networking family (E1-E4).

Usage: python_echo.py streams|protocol [--uvloop]
  streams:  asyncio.start_server; data = await reader.read(65536); writer.write(data);
            await writer.drain()
  protocol: loop.create_server with a Protocol whose data_received calls transport.write
  --uvloop: the same on uvloop's loop (Debian's python3-uvloop)
Listens on 127.0.0.1 (port chosen by the OS), prints "PORT <n>", serves until killed.
"""
import asyncio
import sys


async def echo(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(mode):
    loop = asyncio.get_running_loop()
    if mode == "streams":
        server = await asyncio.start_server(echo, "127.0.0.1", 0)
    else:
        server = await loop.create_server(EchoProtocol, "127.0.0.1", 0)
    print("PORT", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode not in ("streams", "protocol"):
        sys.exit("usage: python_echo.py streams|protocol [--uvloop]")
    if "--uvloop" in sys.argv:
        import uvloop
        uvloop.install()
    asyncio.run(main(mode))
