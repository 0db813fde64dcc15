# A TCP client as the lessons write it: connect, then print what arrives as hex, one line per recv, until the server closes.
# Usage: tcp_hex_client.py <host> <port>; prints "connected" first and "closed" at the end.
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
client = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
print('connected', flush=True)
while True:
    data = client.recv(4096)
    if not data:
        break
    print(data.hex(' '), flush=True)
print('closed', flush=True)
client.close()
