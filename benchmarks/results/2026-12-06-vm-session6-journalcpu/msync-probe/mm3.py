import mmap, os, sys, time
d = sys.argv[1]; n = 200
def t(label, f):
    xs = []
    for i in range(n):
        s = time.perf_counter(); f(i); xs.append(time.perf_counter() - s)
    xs.sort(); print("%-52s p50 %6.0f us  mean %6.0f us" % (label, xs[n//2]*1e6, sum(xs)/n*1e6), flush=True)
size = 64 << 20
for sparse in (True, False):
    path = os.path.join(d, "m3.dat")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600); os.ftruncate(fd, size)
    if not sparse:
        z = b"\0" * (1 << 20)
        for off in range(0, size, 1 << 20): os.pwrite(fd, z, off)
        os.fsync(fd)
    m = mmap.mmap(fd, size)
    kind = "sparse" if sparse else "allocated"
    def ms(i):
        o = i * 32868; m[o:o+32768] = b"b" * 32768; p = o // 4096 * 4096; m.flush(p, o + 32768 - p)
    t("mmap write 32 KiB (%s) + msync" % kind, ms)
    def fds(i):
        o = (i + 400) * 32868; m[o:o+32768] = b"b" * 32768; os.fdatasync(fd)
    t("mmap write 32 KiB (%s) + fdatasync" % kind, fds)
    def ms2(i):
        o = (i + 800) * 32868; m[o:o+32768] = b"b" * 32768; p = o // 4096 * 4096; m.flush(p, o + 32768 - p)
    t("mmap write 32 KiB (%s) + msync again" % kind, ms2)
    m.close(); os.close(fd); os.unlink(path)
