import mmap, os, sys, time
d = sys.argv[1]; n = 200
def t(label, f):
    xs = []
    for i in range(n):
        s = time.perf_counter(); f(i); xs.append(time.perf_counter() - s)
    xs.sort(); print("%-45s p50 %6.0f us  mean %6.0f us" % (label, xs[n//2]*1e6, sum(xs)/n*1e6), flush=True)
path = os.path.join(d, "m2.dat"); size = 32 << 20
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600); os.ftruncate(fd, size)
z = b"\0" * (1 << 20)
for off in range(0, size, 1 << 20): os.pwrite(fd, z, off)
os.fsync(fd)
m = mmap.mmap(fd, size)
def same(i):
    m[0:32768] = b"a" * 32768; m.flush(0, 32768)
t("mmap same 32 KiB (allocated) + msync", same)
def new(i):
    o = (i + 1) * 32768; m[o:o+32768] = b"b" * 32768; m.flush(o, 32768)
t("mmap new 32 KiB (allocated) + msync", new)
def pw(i):
    o = (i + 300) * 32768; os.pwrite(fd, b"c" * 32768, o); os.fdatasync(fd)
t("pwrite new 32 KiB (allocated) + fdatasync", pw)
fd2 = os.open(path + "s", os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600); os.ftruncate(fd2, size)
def pws(i):
    o = i * 32768; os.pwrite(fd2, b"c" * 32768, o); os.fdatasync(fd2)
t("pwrite new 32 KiB (sparse) + fdatasync", pws)
m.close(); os.close(fd); os.close(fd2); os.unlink(path); os.unlink(path + "s")
