# A multicast member as the socket lessons write one: share the port, join the group on an interface, send one datagram to the group, print what arrives.
# Usage: udp_multicast_peer.py <group> <port> <iface-address> <text>; prints "joined", then "recv <text>" per datagram, for 20 s at most.
import socket
import struct
import sys

group, port, iface, text = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(('', port))
sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack('4s4s', socket.inet_aton(group), socket.inet_aton(iface)))
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(iface))
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
print('joined', flush=True)
sock.sendto(text.encode('utf-8'), (group, port))
sock.settimeout(20)
try:
    while True:
        data, sender = sock.recvfrom(65535)
        print('recv', data.decode('utf-8', 'replace'), flush=True)
except socket.timeout:
    pass
sock.close()
