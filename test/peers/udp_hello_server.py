# A UDP server as the lessons write it: bind, recvfrom, answer "Hello, <name>!" to the sender with sendto.
# Usage: udp_hello_server.py [port] [host]; prints "listening on <port>", stops on "exit" or after 120 s of silence (tests kill it sooner).
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
host = sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1'
family = socket.AF_INET6 if ':' in host else socket.AF_INET

server = socket.socket(family, socket.SOCK_DGRAM)
server.bind((host, port))
server.settimeout(120)
print('listening on', server.getsockname()[1], flush=True)
try:
    while True:
        data, addr = server.recvfrom(65535)
        print('received', len(data), 'bytes from', addr[0], addr[1], flush=True)
        if data == b'exit':
            break
        server.sendto(b'Hello, ' + data + b'!', addr)
except socket.timeout:
    pass
server.close()
