# A TCP server that has nothing to say: it half-closes at once (shutdown(SHUT_WR)) and reads until the client finishes.
# Usage: tcp_half_close_server.py; prints "listening on <port>", then "got <repr>" after each read
# and "total <repr>" when the client closes; stops after 120 s (tests kill it sooner).
import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', 0))
server.listen(1)
server.settimeout(120)
print('listening on', server.getsockname()[1], flush=True)
conn, addr = server.accept()
conn.settimeout(120)
conn.shutdown(socket.SHUT_WR)
received = b''
try:
    while True:
        data = conn.recv(1024)
        if not data:
            break
        received += data
        print('got', repr(received), flush=True)
except (ConnectionError, socket.timeout):
    pass
print('total', repr(received), flush=True)
