import sys, json, os, statistics
# Per round of a cpu-per-message.sh results folder: the daemon's us/msg, the event loops' (SMTP loops accepting,
# delivery threads delivering) and the journal writer's, from the per-thread /proc ticks (10 ms each) read before and
# after each round, with the round's wall time and load average.
# usage: python3 per-round.py RESULTS_DIR...
for d in sys.argv[1:]:
    j=json.load(open(os.path.join(d,'cpu-per-message.json')))
    raw=os.path.join(d,'raw','cpu-per-message')
    if not os.path.isdir(raw):
        raw=os.path.join(d,'thread-ticks')
    print(f"== {d}  load before {j.get('loadAverageBefore')}")
    for phase in ('accept','deliver'):
        rows=[]
        for r in j['runs']:
            if r['phase']!=phase or not r['label'].startswith('round'): continue
            t0={};t1={}
            for fn,t in (('threads0',t0),('threads1',t1)):
                p=os.path.join(raw,f"{r['label']}.{fn}")
                if not os.path.exists(p): continue
                for line in open(p):
                    k,v=line.rsplit(None,1); t[k]=t.get(k,0)+int(v)
            n=r['messages']
            def us(prefix): return sum(t1.get(k,0)-t0.get(k,0) for k in t1 if k.startswith(prefix))*10000/n  # ticks 10ms
            rows.append((r['usPerMessage'],us('multiThreadIoEv') if phase=='accept' else us('sluice-delivery'),us('sluice-journal'),r['wallSeconds'],r.get('loadAverage1mAtStart')))
        for x in rows: print(f"  {phase:8s} total {x[0]:6.1f}  loops {x[1]:6.1f}  journal {x[2]:6.1f}  wall {x[3]:6.2f}s  load {x[4]}")
        if rows: print(f"  {phase:8s} median total {statistics.median(x[0] for x in rows):.1f} loops {statistics.median(x[1] for x in rows):.1f} journal {statistics.median(x[2] for x in rows):.1f}")
