# A Modbus TCP server as a textbook writes one: read the MBAP header and the PDU, answer
# "read holding registers" (function 3) from a table of registers where register n holds n * 10.
# Usage: modbus_tcp_server.py [--broken]; prints "listening on <port>"; serves until killed.
# --broken answers every request with exception 02 (illegal data address), as a misconfigured device does.
import socket
import struct
import sys

broken = '--broken' in sys.argv
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', 0))
server.listen(5)
print('listening on', server.getsockname()[1], flush=True)


def recv_exact(conn, n):
    data = b''
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


while True:
    conn, addr = server.accept()
    while True:
        header = recv_exact(conn, 7)
        if header is None:
            break
        transaction, protocol, length, unit = struct.unpack('>HHHB', header)
        pdu = recv_exact(conn, length - 1)
        if pdu is None:
            break
        function = pdu[0]
        if function == 3 and not broken:
            start, count = struct.unpack('>HH', pdu[1:5])
            values = b''.join(struct.pack('>H', (start + i) * 10) for i in range(count))
            reply = bytes([3, len(values)]) + values
        else:
            reply = bytes([function | 0x80, 2])
        conn.sendall(struct.pack('>HHHB', transaction, 0, len(reply) + 1, unit) + reply)
    conn.close()
