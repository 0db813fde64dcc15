# An HTTP proxy that only tunnels (the CONNECT method), written with asyncio streams as a textbook would.
# Usage: http_connect_proxy.py; prints "listening on <port>", then "tunnel <host:port>" for each tunnel; stops after 60 s.
import asyncio


async def pipe(reader, writer):
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


async def handle(reader, writer):
    head = await reader.readuntil(b'\r\n\r\n')
    method, target, _ = head.split(b'\r\n', 1)[0].decode('latin1').split(' ', 2)
    if method != 'CONNECT':
        writer.write(b'HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n')
        writer.close()
        return
    host, port = target.rsplit(':', 1)
    try:
        up_reader, up_writer = await asyncio.open_connection(host.strip('[]'), int(port))
    except OSError:
        writer.write(b'HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n')
        writer.close()
        return
    print('tunnel', target, flush=True)
    writer.write(b'HTTP/1.1 200 Connection Established\r\n\r\n')
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def main():
    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    print('listening on', server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await asyncio.sleep(60)


asyncio.run(main())
