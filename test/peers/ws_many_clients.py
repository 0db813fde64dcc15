# Many WebSocket clients at once with asyncio: all connect, then each sends one message and waits for its echo.
# Usage: ws_many_clients.py <uri> <count>; prints "<ok>/<count> ok".
import asyncio
import sys
import websockets

uri, count = sys.argv[1], int(sys.argv[2])


async def one(i, all_open):
    async with websockets.connect(uri, open_timeout=30) as ws:
        all_open.release()
        await asyncio.wait_for(all_open_event.wait(), 30)
        await ws.send('client %d' % i)
        got = await asyncio.wait_for(ws.recv(), 30)
        return got == 'client %d' % i


async def main():
    global all_open_event
    all_open_event = asyncio.Event()
    opened = asyncio.Semaphore(0)

    async def watch():
        for _ in range(count):
            await opened.acquire()
        all_open_event.set()  # everyone connected before anyone sends

    watcher = asyncio.ensure_future(watch())
    results = await asyncio.gather(*(one(i, opened) for i in range(count)), return_exceptions=True)
    watcher.cancel()
    ok = sum(1 for r in results if r is True)
    errors = {repr(r) for r in results if isinstance(r, BaseException)}
    print('%d/%d ok' % (ok, count), flush=True)
    for e in list(errors)[:3]:
        print('error', e, flush=True)


asyncio.run(main())
