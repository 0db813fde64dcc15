# Clients that pipeline several GETs on one connection, read a little, then hang up mid-answer.
# Usage: pipelined_disconnect.py <host> <port> <path> <connections> <requests-per-connection> [extra header lines]
# Prints "<n> closed" once every connection was opened, used and closed.
import socket
import sys
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
connections, requests = int(sys.argv[4]), int(sys.argv[5])
extra = ''.join(h + '\r\n' for h in sys.argv[6:])
request = ('GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s\r\n' % (path, host, port, extra)).encode('latin-1')

clients = []
for i in range(connections):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # a small window: the server soon has to hold its answers, as it would for a distant client
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(request * requests)
    clients.append(s)

# every server has begun its first answer: read a little of each, then leave in the middle
for s in clients:
    s.recv(1024)
time.sleep(0.2)
for s in clients:
    s.close()
print('%d closed' % len(clients), flush=True)
