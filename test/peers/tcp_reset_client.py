# A TCP client that says hello and then closes with a reset (SO_LINGER 0), the textbook way to send an RST.
# Usage: tcp_reset_client.py <host> <port>; prints "reset" once it has closed.
import socket
import struct
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])
client = socket.create_connection((host, port))
client.sendall(b'hi')
time.sleep(0.2)
client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
client.close()
print('reset', flush=True)
