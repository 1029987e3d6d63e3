#!/bin/bash
# before/after interleaved, DurableAppendBenchmark.producers08, 4 KiB
for r in 1 2 3; do
 for b in before after; do
  echo "# $b run $r start $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" > $b-r$r.txt
  java -Djmh.ignoreLock=true -Dsluice.bench.dir=/var/tmp/lead-bench -jar /var/tmp/lead-jars/$b.jar DurableAppendBenchmark.producers08 -p messageBytes=4096 -wi 2 -w 3 -i 3 -r 5 -f 1 >> $b-r$r.txt 2>&1
  echo "# end $(date -u +%FT%TZ) load: $(cut -d' ' -f1-3 /proc/loadavg)" >> $b-r$r.txt
 done
done
