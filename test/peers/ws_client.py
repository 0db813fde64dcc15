# A WebSocket client written as the websockets documentation writes one: send each message, print each answer.
# Usage: ws_client.py <uri> [--subprotocol P] [--origin O] [--header 'K: V'] [--fragments] [--binary] [--expect N] message...
# Prints "subprotocol <p>", then "recv text <repr>" / "recv binary <hex>" per message, then "closed <code> <reason>".
import argparse
import asyncio
import websockets

parser = argparse.ArgumentParser()
parser.add_argument('uri')
parser.add_argument('messages', nargs='*')
parser.add_argument('--subprotocol', action='append')
parser.add_argument('--origin')
parser.add_argument('--header', action='append', default=[])
parser.add_argument('--fragments', action='store_true', help='send each message in one-character fragments')
parser.add_argument('--binary', action='store_true')
parser.add_argument('--expect', type=int, help='messages to wait for (default: one per message sent)')
parser.add_argument('--close-code', type=int, default=1000)
args = parser.parse_intermixed_args()


async def main():
    headers = [tuple(h.split(': ', 1)) for h in args.header]
    async with websockets.connect(args.uri, subprotocols=args.subprotocol, origin=args.origin,
                                  extra_headers=headers, open_timeout=10) as ws:
        print('subprotocol', ws.subprotocol, flush=True)
        for m in args.messages:
            data = m.encode('utf-8') if args.binary else m
            if args.fragments:
                await ws.send([data[i:i + 1] for i in range(len(data))])
            else:
                await ws.send(data)
        expect = len(args.messages) if args.expect is None else args.expect
        try:
            for _ in range(expect):
                got = await asyncio.wait_for(ws.recv(), 10)
                if isinstance(got, bytes):
                    print('recv binary', got.hex(), flush=True)
                else:
                    print('recv text', repr(got), flush=True)
        except websockets.ConnectionClosed:
            pass
        await ws.close(args.close_code, 'done')
    print('closed', ws.close_code, ws.close_reason, flush=True)


asyncio.run(main())
