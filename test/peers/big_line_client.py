"""Many clients at once, each sending one very long line and then closing.

usage: big_line_client.py HOST PORT CLIENTS BYTES
Prints 'sent N' once every client has sent its line.
"""
import socket
import sys
import threading

host, port, clients, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
line = b"A" * size + b"\n"
ready = threading.Barrier(clients)


def client():
    with socket.create_connection((host, port)) as s:
        ready.wait()
        s.sendall(line)
        s.shutdown(socket.SHUT_WR)
        while s.recv(65536):
            pass


threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("sent", clients, flush=True)
