# A WebSocket echo server written as the websockets documentation writes one, plus a goodbye on request.
# Usage: ws_echo_server.py; prints "listening on <port>", stops after 60 s.
# A message "fragments:<text>" is answered with <text> sent one character a frame; "close:<code>:<reason>" closes with that code.
import asyncio
import websockets


async def handle(ws, path=None):
    async for message in ws:
        if isinstance(message, str) and message.startswith('fragments:'):
            text = message[len('fragments:'):]
            await ws.send(list(text))
        elif isinstance(message, str) and message.startswith('close:'):
            _, code, reason = message.split(':', 2)
            await ws.close(int(code), reason)
        else:
            await ws.send(message)


async def main():
    async with websockets.serve(handle, '127.0.0.1', 0, subprotocols=['chat', 'superchat']) as server:
        print('listening on', server.sockets[0].getsockname()[1], flush=True)
        await asyncio.sleep(60)


asyncio.run(main())
