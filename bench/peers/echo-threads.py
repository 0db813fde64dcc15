# A thread-per-connection Python echo server, the way the socket lessons write it (recv(1024), one thread a client).
# usage: python3 echo-threads.py <host> <port>   (prints the bound port)
import socket
import sys
import threading

# a bounded stack: 10,000 threads at the default 8 MiB would reserve 80 GiB of address space
threading.stack_size(256 * 1024)


def handle(conn):
    with conn:
        while True:
            try:
                data = conn.recv(1024)
            except OSError:
                return
            if not data:
                return
            try:
                conn.sendall(data)
            except OSError:
                return


def main(host, port):
    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(4096)
    print(s.getsockname()[1], flush=True)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


main(sys.argv[1], int(sys.argv[2]))
