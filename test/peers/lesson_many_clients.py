# Many simultaneous clients, each on its own thread: send, expect the reply, then the server hanging up.
import socket
import sys
import threading

host, port, count, expect = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode('utf-8')
ok = 0
lock = threading.Lock()
barrier = threading.Barrier(count)

def worker(i):
    global ok
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(20)
    s.connect((host, port))
    barrier.wait()  # everyone connected before anyone sends
    s.send(('client %d' % i).encode('utf-8'))
    data = b''
    while True:
        chunk = s.recv(1024)
        if not chunk:
            break
        data += chunk
    s.close()
    if data == expect:
        with lock:
            ok += 1

threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print('%d/%d ok' % (ok, count))
