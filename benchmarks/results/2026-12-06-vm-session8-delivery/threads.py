#!/usr/bin/env python3
"""Per deliver round: the daemon's us/msg (from cpu-per-message.json) and the us/msg of its delivery threads (route
event loops + sluice-delivery-io), journal writer and drain, from the per-thread CPU ticks read before and after the
round (threads/round-N-deliver.threads0 and .threads1, copied from the run's raw/ folder).

usage: python3 threads.py RESULTS_DIR...   (e.g. p3-before p3-after)"""
import json
import os
import sys

MESSAGES = 10000
HZ = os.sysconf('SC_CLK_TCK')
GROUPS = {'delivery': 'sluice-delivery', 'journal': 'sluice-journal-', 'drain': 'sluice-drain'}


def ticks(path):
    by = {}
    for line in open(path):
        parts = line.split()
        if len(parts) >= 2:
            by[parts[0]] = by.get(parts[0], 0) + int(parts[-1])
    return by


for folder in sys.argv[1:]:
    runs = {r['label']: r for r in json.load(open(os.path.join(folder, 'cpu-per-message.json')))['runs']}
    print(folder)
    print('  round  daemon  delivery  journal  drain   (us per message)')
    for n in (1, 2, 3):
        base = os.path.join(folder, 'threads', 'round-%d-deliver.threads' % n)
        if not os.path.exists(base + '0'):
            continue
        before, after = ticks(base + '0'), ticks(base + '1')
        row = ['%5d' % n, '%7.0f' % runs['round-%d-deliver' % n]['usPerMessage']]
        for prefix in GROUPS.values():
            used = sum(t - before.get(k, 0) for k, t in after.items() if k.startswith(prefix))
            row.append('%8.0f' % (1e6 * used / HZ / MESSAGES))
        print('  ' + ' '.join(row))
