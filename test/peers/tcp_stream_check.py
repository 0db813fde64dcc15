# Streams random bytes to an echo server over several connections at once and checks what comes back.
# Usage: tcp_stream_check.py <host> <port> <connections> <kib-each> <pause-every-kib>
# Each connection sends in writes of 1 to 256 KiB from one thread and reads the echo in another,
# stopping to sleep 20 ms after every <pause-every-kib> read (0: never), so the server's answers queue.
# Prints "ok <connection> <bytes> <sha256>" or "bad <connection> sent <sha256> got <sha256>" for each.
import hashlib
import os
import random
import socket
import sys
import threading

host, port = sys.argv[1], int(sys.argv[2])
connections, kib, pause_every = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])


def send_all(conn, data):
    rng = random.Random(len(data))
    at = 0
    while at < len(data):
        n = rng.randint(1024, 256 * 1024)
        conn.sendall(data[at:at + n])
        at += n
    conn.shutdown(socket.SHUT_WR)


def check(number, results):
    data = os.urandom(kib * 1024)
    conn = socket.create_connection((host, port), timeout=60)
    sender = threading.Thread(target=send_all, args=(conn, data))
    sender.start()
    got = hashlib.sha256()
    total = 0
    since_pause = 0
    while True:
        chunk = conn.recv(64 * 1024)
        if not chunk:
            break
        got.update(chunk)
        total += len(chunk)
        since_pause += len(chunk)
        if pause_every and since_pause >= pause_every * 1024:
            since_pause = 0
            threading.Event().wait(0.02)
    sender.join()
    conn.close()
    sent = hashlib.sha256(data).hexdigest()
    if got.hexdigest() == sent and total == len(data):
        results[number] = 'ok %d %d %s' % (number, total, sent)
    else:
        results[number] = 'bad %d sent %s got %s (%d of %d bytes)' % (number, sent, got.hexdigest(), total, len(data))


results = {}
threads = [threading.Thread(target=check, args=(i, results)) for i in range(connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for i in range(connections):
    print(results.get(i, 'bad %d: no result' % i), flush=True)
