# A TCP client that notes when each recv returned: connect, then print the milliseconds since connecting and the bytes as hex, one line per recv, until the server closes.
# Usage: tcp_timed_client.py <host> <port>; prints "connected" first and "closed" at the end.
import socket
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
client = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
start = time.monotonic()
print('connected', flush=True)
while True:
    data = client.recv(65536)
    if not data:
        break
    print(round((time.monotonic() - start) * 1000), data.hex(' '), flush=True)
print('closed', flush=True)
client.close()
