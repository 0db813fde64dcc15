# A client that sends one message and prints the server's reply.
import socket
import sys

host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
client.send(message.encode('utf-8'))
print(client.recv(1024).decode('utf-8'))
client.close()
