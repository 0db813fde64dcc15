# A TCP client that asks and waits for each answer, as a Modbus master or a chat script does it.
# Usage: tcp_ask_client.py <host> <port> <item>...; an item is text:<line> (\n and \r read as escapes)
# or modbus:<hex> (its CRC-16/MODBUS computed here and appended, low byte first). Prints "connected",
# then "reply <hex>" for each answer, and for a Modbus answer "crc ok" or "crc bad" as checked here.
import socket
import sys


def crc16_modbus(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


host, port = sys.argv[1], int(sys.argv[2])
client = socket.create_connection((host, port), timeout=20)
print('connected', flush=True)
for item in sys.argv[3:]:
    kind, _, body = item.partition(':')
    if kind == 'modbus':
        frame = bytes.fromhex(body)
        crc = crc16_modbus(frame)
        client.sendall(frame + bytes([crc & 0xFF, crc >> 8]))
    else:
        client.sendall(body.replace('\\n', '\n').replace('\\r', '\r').encode())
    reply = client.recv(4096)
    print('reply ' + reply.hex(' '), flush=True)
    if kind == 'modbus':
        ok = len(reply) > 2 and crc16_modbus(reply[:-2]) == reply[-2] | (reply[-1] << 8)
        print('crc ok' if ok else 'crc bad', flush=True)
client.close()
print('closed', flush=True)
