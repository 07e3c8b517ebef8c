#!/usr/bin/env python3
"""CPU of sendfile(2) by the kind of file sent from: a memory file (memfd, what
syndic sends big bodies from), an unnamed file on disk (O_TMPFILE) and a
regular file (as nginx). Each sends a 201,322-byte body (the 3,000-article
/feed.xml) N times over loopback TCP to a reader process; prints the sender's
user + system CPU per sendfile, median of 5 rounds.

  bench/sendfile_sources.py [dir on the disk to compare, default bench/.work]
"""
import os
import resource
import socket
import sys

SIZE = 201322
N = 6000
DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), ".work")
os.makedirs(DIR, exist_ok=True)
data = os.urandom(SIZE)


def memfd():
    fd = os.memfd_create("b", os.MFD_ALLOW_SEALING); os.write(fd, data); return fd
def tmpfile():
    fd = os.open(DIR, os.O_TMPFILE | os.O_RDWR, 0o600); os.write(fd, data); return fd
def regular():
    p = os.path.join(DIR, "sf-regular"); open(p, "wb").write(data); return os.open(p, os.O_RDONLY)
def run(make):
    fd = make()
    ls = socket.socket(); ls.bind(("127.0.0.1", 0)); ls.listen(1)
    pid = os.fork()
    if pid == 0:
        c = socket.create_connection(ls.getsockname())
        buf = bytearray(1 << 20)
        while c.recv_into(buf): pass
        os._exit(0)
    s, _ = ls.accept(); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(N):
        off = 0
        while off < SIZE:
            off += os.sendfile(s.fileno(), fd, off, SIZE - off)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    s.close(); ls.close(); os.close(fd); os.waitpid(pid, 0)
    return ((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)) * 1e6 / N
res = {m.__name__: [] for m in (memfd, tmpfile, regular)}
for r in range(5):
    for m in (memfd, tmpfile, regular):
        res[m.__name__].append(run(m))
for k, v in res.items():
    v.sort(); print("%-8s sender CPU µs/sendfile of %d B: median %.1f (%s)" % (k, SIZE, v[2], " ".join("%.1f" % x for x in v)))
print("load", os.getloadavg())
