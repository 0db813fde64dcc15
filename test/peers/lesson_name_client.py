# A client for the greeting server: read Welcome!, send a name, read Hello, <name>!, send exit.
import socket
import sys

host, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
print(client.recv(1024).decode('utf-8'), flush=True)
client.send(name.encode('utf-8'))
print(client.recv(1024).decode('utf-8'), flush=True)
client.send(b'exit')
rest = client.recv(1024)
print('closed' if rest == b'' else 'still open: %r' % rest, flush=True)
client.close()
