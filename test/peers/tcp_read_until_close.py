# A TCP server that reads one connection to its end and says how it ended: a FIN (recv gives b'')
# or a reset (recv raises ConnectionResetError). Unlike an event-loop reader, recv hands out bytes
# that arrived just before a reset and then the reset itself.
# Usage: tcp_read_until_close.py; prints "listening on <port>", then "total <repr> fin|reset";
# stops after 120 s (tests kill it sooner).
import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', 0))
server.listen(1)
server.settimeout(120)
print('listening on', server.getsockname()[1], flush=True)
conn, addr = server.accept()
conn.settimeout(120)
received = b''
how = 'fin'
try:
    while True:
        data = conn.recv(65536)
        if not data:
            break
        received += data
except ConnectionResetError:
    how = 'reset'
print('total', repr(received), how, flush=True)
