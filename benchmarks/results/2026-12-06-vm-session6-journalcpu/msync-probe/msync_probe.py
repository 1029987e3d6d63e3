# msync latency of appends to a mapped file: a sparse file (blocks allocated at write-back) vs one whose blocks were
# written with zeros and synced first. Usage: python3 msync_probe.py DIR ITER BATCH_BYTES
import mmap, os, sys, time
d, iters, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = 64 << 20
def run(prezero):
    path = os.path.join(d, "probe-%s.dat" % ("zeroed" if prezero else "sparse"))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
    os.ftruncate(fd, size)
    if prezero:
        z = b"\0" * (1 << 20)
        for off in range(0, iters * batch + (1 << 20), 1 << 20):
            os.pwrite(fd, z, off)
        os.fdatasync(fd)
    m = mmap.mmap(fd, size)
    pos = 0
    data = b"x" * batch
    times = []
    pg = mmap.PAGESIZE
    for i in range(iters):
        m[pos:pos + batch] = data
        start = (pos // pg) * pg
        end = pos + batch
        t = time.perf_counter()
        m.flush(start, ((end + pg - 1) // pg) * pg - start)
        times.append(time.perf_counter() - t)
        pos = end + 100  # not page aligned, as records are not
    m.close(); os.close(fd); os.unlink(path)
    times.sort()
    return sum(times) / len(times) * 1e6, times[len(times) // 2] * 1e6, times[int(len(times) * 0.9)] * 1e6
for rep in range(2):
    for prezero in (False, True):
        mean, p50, p90 = run(prezero)
        print("%-7s mean %7.0f us  p50 %7.0f us  p90 %7.0f us" % ("zeroed" if prezero else "sparse", mean, p50, p90), flush=True)
