# Runs a command with its stdout (and, with --stderr, its stderr) on a pseudo-terminal, for output meant for people.
# Usage: pty_run.py [--stderr] [--cols N] -- command args...; stdin is passed through as it is (a pipe stays a pipe).
# Prints what the command wrote to the terminal, exactly (no \r added to line ends), and exits with its code
# (128 + the signal when a signal ended it). SIGINT and SIGTERM sent to this script are passed on to the command.
import ctypes
import fcntl
import os
import pty
import signal
import struct
import subprocess
import sys
import termios

args = sys.argv[1:]
stderr_on_tty = False
cols = 100
while args and args[0] != '--':
    if args[0] == '--stderr':
        stderr_on_tty = True
        args = args[1:]
    elif args[0] == '--cols':
        cols = int(args[1])
        args = args[2:]
    else:
        sys.exit('unknown option ' + args[0])
args = args[1:]

master, slave = pty.openpty()
attrs = termios.tcgetattr(slave)
attrs[1] &= ~termios.OPOST  # output as written: no \n -> \r\n
attrs[3] &= ~termios.ECHO
termios.tcsetattr(slave, termios.TCSANOW, attrs)
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 40, cols, 0, 0))

def die_with_parent():
    # Linux: the command is killed when this script dies, even by SIGKILL, so a test's cleanup leaves nothing behind
    try:
        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


child = subprocess.Popen(args, stdin=sys.stdin, stdout=slave, stderr=slave if stderr_on_tty else sys.stderr, preexec_fn=die_with_parent)
os.close(slave)
for sig in (signal.SIGINT, signal.SIGTERM):
    signal.signal(sig, lambda signum, frame: child.send_signal(signum))

out = sys.stdout.buffer
while True:
    try:
        data = os.read(master, 65536)
    except OSError:  # EIO: every writer to the terminal is gone
        break
    if not data:
        break
    out.write(data)
    out.flush()
code = child.wait()
sys.exit(128 - code if code < 0 else code)
