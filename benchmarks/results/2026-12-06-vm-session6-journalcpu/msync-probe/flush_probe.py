# The disk's own cost of a durable write: pwrite 4 KiB over an allocated block then fdatasync, N times.
import os, sys, time
path = os.path.join(sys.argv[1], "flush.dat"); n = int(sys.argv[2])
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
os.pwrite(fd, b"\0" * (1 << 20), 0); os.fsync(fd)
t = []
for i in range(n):
    os.pwrite(fd, b"y" * 4096, (i % 256) * 4096)
    s = time.perf_counter(); os.fdatasync(fd); t.append(time.perf_counter() - s)
os.close(fd); os.unlink(path); t.sort()
print("pwrite 4 KiB + fdatasync over allocated blocks: mean %.0f us p50 %.0f us p90 %.0f us" % (sum(t)/n*1e6, t[n//2]*1e6, t[int(n*.9)]*1e6))
