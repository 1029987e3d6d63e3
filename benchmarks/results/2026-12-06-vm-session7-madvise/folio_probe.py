import mmap, os, time, sys, ctypes
libc = ctypes.CDLL("libc.so.6", use_errno=True)
MADV_RANDOM=1; MADV_NOHUGEPAGE=15
def io():
    for l in open('/proc/diskstats'):
        f=l.split()
        if f[2]=='vda': return int(f[9])*512

def run(name, advise=None, prezero=True, n=300, chunk=32768):
    path='f_'+name
    size=64<<20
    fd=os.open(path, os.O_RDWR|os.O_CREAT|os.O_TRUNC)
    if prezero:
        z=b'\0'*(1<<20)
        for i in range(64): os.write(fd,z)
        os.fsync(fd)
    else:
        os.ftruncate(fd,size)
    m=mmap.mmap(fd,size)
    if advise is not None:
        addr=ctypes.c_void_p.from_buffer(m) if False else None
        buf=(ctypes.c_char*size).from_buffer(m)
        r=libc.madvise(ctypes.addressof(buf), ctypes.c_size_t(size), advise)
        del buf
    data=os.urandom(chunk)
    ts=[]; w0=io()
    for i in range(n):
        off=i*chunk
        m[off:off+chunk]=data
        t=time.perf_counter()
        start=off & ~4095
        m.flush(start, off+chunk-start)
        ts.append(time.perf_counter()-t)
    w1=io()
    ts.sort()
    print(f"{name:28s} p50 {ts[n//2]*1e6:7.0f} us mean {sum(ts)/n*1e6:7.0f} us  written/msync {(w1-w0)/n/1024:8.1f} KiB")
    m.close(); os.close(fd); os.unlink(path)
def pw(n=300, chunk=32768):
    fd=os.open('f_pw', os.O_RDWR|os.O_CREAT|os.O_TRUNC)
    z=b'\0'*(1<<20)
    for i in range(64): os.write(fd,z)
    os.fsync(fd)
    data=os.urandom(chunk); ts=[]; w0=io()
    for i in range(n):
        os.pwrite(fd,data,i*chunk); t=time.perf_counter(); os.fdatasync(fd); ts.append(time.perf_counter()-t)
    w1=io(); ts.sort()
    print(f"{'pwrite+fdatasync':28s} p50 {ts[n//2]*1e6:7.0f} us mean {sum(ts)/n*1e6:7.0f} us  written/sync {(w1-w0)/n/1024:8.1f} KiB")
    os.close(fd); os.unlink('f_pw')
for r in range(0):
    run('mmap prezero')
    run('mmap prezero MADV_RANDOM', MADV_RANDOM)
    run('mmap sparse')
    run('mmap sparse MADV_RANDOM', MADV_RANDOM, prezero=False)
    pw()
def pw_sparse(n=300, chunk=32768):
    fd=os.open('f_pws', os.O_RDWR|os.O_CREAT|os.O_TRUNC)
    os.ftruncate(fd,64<<20)
    data=os.urandom(chunk); ts=[]; w0=io()
    for i in range(n):
        os.pwrite(fd,data,i*chunk); t=time.perf_counter(); os.fdatasync(fd); ts.append(time.perf_counter()-t)
    w1=io(); ts.sort()
    print(f"{'pwrite sparse+fdatasync':28s} p50 {ts[n//2]*1e6:7.0f} us mean {sum(ts)/n*1e6:7.0f} us  written/sync {(w1-w0)/n/1024:8.1f} KiB")
    os.close(fd); os.unlink('f_pws')
for r in range(2):
    pw_sparse()
    run('mmap sparse MADV_RANDOM', MADV_RANDOM, prezero=False)
    run('mmap sparse')
