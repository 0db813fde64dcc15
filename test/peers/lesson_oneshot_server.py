# A one-shot TCP server as in the lesson: accept one client, print what it sent, answer in GBK.
import socket
import sys

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', 0))
server.listen(5)
print(server.getsockname()[1], flush=True)
conn, addr = server.accept()
data = conn.recv(1024)
print('from client:', data.decode('gbk'), flush=True)
conn.send('信息已收到,over!'.encode('gbk'))
conn.close()
server.close()
