# A thread-per-client TCP echo server like the lessons': accept, then recv and sendall in a thread per client.
# Usage: tcp_echo_threaded.py [port]; prints "listening on <port>", stops after 60 s.
import socket
import sys
import threading
import time


def serve(conn):
    with conn:
        while True:
            try:
                data = conn.recv(65536)
            except ConnectionError:
                break
            if not data:
                break
            conn.sendall(data)


def accept_forever(server):
    while True:
        conn, addr = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', int(sys.argv[1]) if len(sys.argv) > 1 else 0))
server.listen(1024)
print('listening on', server.getsockname()[1], flush=True)
threading.Thread(target=accept_forever, args=(server,), daemon=True).start()
time.sleep(60)
