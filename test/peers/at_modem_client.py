# A client that talks to a modem with AT commands, one CRLF-terminated line each way.
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
client = socket.create_connection((host, port))
reader = client.makefile('rb')
for command in sys.argv[3:]:
    client.sendall(command.encode() + b'\r\n')
    lines = []
    while True:
        line = reader.readline()
        if not line:
            break
        line = line.rstrip(b'\r\n').decode()
        lines.append(line)
        if line in ('OK', 'ERROR'):
            break
    print('%s -> %s' % (command, ' | '.join(lines)), flush=True)
client.close()
