# A UDP client as the lessons write it: sendto each text, recvfrom the answer, print it.
# Usage: udp_client.py <host> <port> <text>...; prints each answer on a line, "timeout" when none came.
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ':' in host else socket.AF_INET
client = socket.socket(family, socket.SOCK_DGRAM)
client.settimeout(3)
for text in sys.argv[3:]:
    client.sendto(text.encode('utf-8'), (host, port))
    try:
        data, addr = client.recvfrom(65535)
        print(data.decode('utf-8', 'replace'), flush=True)
    except socket.timeout:
        print('timeout', flush=True)
client.close()
