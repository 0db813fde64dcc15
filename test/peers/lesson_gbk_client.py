# A TCP client as in the lesson: send a GBK greeting, print the reply decoded as GBK.
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))
client.send('你好服务端,我是客户端小黑!'.encode('gbk'))
data = client.recv(1024)
print(data.decode('gbk'))
client.close()
