# A Modbus RTU-over-TCP client as a lesson writes it: read holding registers, with the CRC computed here.
import socket
import struct
import sys


def crc16_modbus(data):
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


host, port = sys.argv[1], int(sys.argv[2])
request = bytes([0x01, 0x03, 0x00, 0x00, 0x00, 0x01])
request += struct.pack('<H', crc16_modbus(request))
client = socket.create_connection((host, port))
client.sendall(request)
reply = b''
while len(reply) < 7:
    chunk = client.recv(1024)
    if not chunk:
        break
    reply += chunk
client.close()
body, crc = reply[:-2], struct.unpack('<H', reply[-2:])[0]
if crc != crc16_modbus(body):
    print('bad crc: got %04x, computed %04x' % (crc, crc16_modbus(body)))
    sys.exit(1)
count = body[2]
value = struct.unpack('>H', body[3:3 + count])[0]
print('register 0 = %d' % value)
