# An asyncio TCP echo server, the way Python's documentation writes one: each client's bytes go straight back.
# Usage: tcp_echo_asyncio.py [port]; prints "listening on <port>", stops after 60 s.
import asyncio
import sys


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    server = await asyncio.start_server(handle, '127.0.0.1', port, backlog=1024)
    print('listening on', server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await asyncio.sleep(60)


asyncio.run(main())
