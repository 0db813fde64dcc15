# A TCP server that reads slowly, as a busy receiver does: 16 KiB every 10 ms, with a small receive buffer.
# Usage: tcp_slow_sink.py; prints "listening on <port>", then "received <n>" after each read, and
# "done <n>" when the client closes; stops after 120 s (tests kill it sooner).
import socket
import time

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
server.bind(('127.0.0.1', 0))
server.listen(1)
server.settimeout(120)
print('listening on', server.getsockname()[1], flush=True)
conn, addr = server.accept()
conn.settimeout(120)
total = 0
try:
    while True:
        data = conn.recv(16 * 1024)
        if not data:
            break
        total += len(data)
        print('received', total, flush=True)
        time.sleep(0.01)
except (ConnectionError, socket.timeout):
    pass
print('done', total, flush=True)
