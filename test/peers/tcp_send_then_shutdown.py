# A TCP client that sends its text, says it has finished (shutdown(SHUT_WR)) and prints every reply until the server closes: nc -N written out.
import socket
import sys

host, port, text = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port))
s.sendall(text.encode())
s.shutdown(socket.SHUT_WR)
reply = b''
while True:
    chunk = s.recv(4096)
    if not chunk:
        break
    reply += chunk
s.close()
sys.stdout.write(reply.decode())
