# A WebSocket echo server on Debian's python3-websockets (asyncio), as its documentation writes one.
# usage: /usr/bin/python3 ws-echo-websockets.py <host> <port>   (prints the bound port)
import asyncio
import sys
import websockets


async def echo(ws, path=None):
    async for message in ws:
        await ws.send(message)


async def main():
    host, port = sys.argv[1], int(sys.argv[2])
    async with websockets.serve(echo, host, port, compression=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


asyncio.run(main())
