# A line-by-line mail server dialogue as networking courses write one (no mail is kept):
# 220 greeting, HELO, MAIL FROM, RCPT TO, DATA ... ".", QUIT, each answered with its code.
# Usage: smtp_like_server.py; prints "listening on <port>"; serves clients one at a time until killed.
import socket

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(('127.0.0.1', 0))
server.listen(5)
print('listening on', server.getsockname()[1], flush=True)
queued = 0

while True:
    conn, addr = server.accept()
    reader = conn.makefile('rb')
    conn.sendall(b'220 mail.example.test ready\r\n')
    in_data = False
    for raw in reader:
        line = raw.rstrip(b'\r\n').decode('ascii', 'replace')
        if in_data:
            if line == '.':
                in_data = False
                queued += 1
                conn.sendall(('250 OK queued as M%d\r\n' % queued).encode())
            continue
        verb = line.split(' ')[0].upper()
        if verb == 'HELO':
            conn.sendall(('250 mail.example.test hello %s\r\n' % line[5:]).encode())
        elif verb in ('MAIL', 'RCPT'):
            conn.sendall(b'250 OK\r\n')
        elif verb == 'DATA':
            in_data = True
            conn.sendall(b'354 end data with <CR><LF>.<CR><LF>\r\n')
        elif verb == 'QUIT':
            conn.sendall(b'221 bye\r\n')
            break
        else:
            conn.sendall(b'500 unknown command\r\n')
    reader.close()
    conn.close()
