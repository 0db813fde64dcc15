# A TCP server as the lessons write it, that accepts clients and keeps them connected (so their states show).
# Usage: tcp_hold_server.py; prints "listening on <port>", stops after 120 s (tests kill it sooner).
import socket
import threading
import time

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', 0))
server.listen(5)
print('listening on', server.getsockname()[1], flush=True)
clients = []


def accept_forever():
    while True:
        conn, addr = server.accept()
        clients.append(conn)


threading.Thread(target=accept_forever, daemon=True).start()
time.sleep(120)
