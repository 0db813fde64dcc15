# A hostile client: one huge message, most of it at once, then its last bytes one per segment.
# Usage: trickle_frame_client.py HOST PORT len32|crlf SIZE TRICKLE INTERVAL_MS; the trickle starts at a line on stdin.
import socket
import struct
import sys
import time

host, port, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
size, trickle, interval = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]) / 1000

body = b'a' * size
if kind == 'len32':
    message = struct.pack('>I', size) + body
else:
    message = body + b'\r\n'

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# every byte of the trickle in a segment of its own
client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
client.connect((host, port))
client.sendall(message[:-trickle])
print('bulk sent', flush=True)
# the test says when the server has read it all
sys.stdin.readline()
print('trickle', flush=True)
for i in range(len(message) - trickle, len(message)):
    client.send(message[i:i + 1])
    time.sleep(interval)
print('trickled', flush=True)
reply = b''
while b'ok' not in reply:
    data = client.recv(1024)
    if not data:
        break
    reply += data
print('reply', 'ok' if b'ok' in reply else 'none', flush=True)
client.close()
