# A UDP receiver that counts what arrives: datagrams, bytes, their sizes and the SHA-256 of the bytes in order.
# Usage: udp_sink.py <expected-datagrams>; prints "listening on <port>", then one JSON line once the
# expected datagrams are in, or when sent SIGTERM (the test asking what came), or after 120 s of silence.
import hashlib
import json
import signal
import socket
import sys


class Stop(Exception):
    pass


def stop(signum, frame):
    raise Stop()


signal.signal(signal.SIGTERM, stop)
expected = int(sys.argv[1])
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
sink.bind(('127.0.0.1', 0))
sink.settimeout(120)
print('listening on', sink.getsockname()[1], flush=True)
digest = hashlib.sha256()
count = 0
total = 0
sizes = set()
try:
    while count < expected:
        data, addr = sink.recvfrom(65535)
        digest.update(data)
        count += 1
        total += len(data)
        sizes.add(len(data))
except (socket.timeout, Stop):
    pass
print(json.dumps({'datagrams': count, 'bytes': total, 'sizes': sorted(sizes), 'sha256': digest.hexdigest()}), flush=True)
sink.close()
