#!/bin/sh
# A short job: it finishes after about 3 s, and since any process ending stops the run, its exit
# makes modhost stop the others (and exit with the job's code, 0).
echo "job starting: PS=$PS PORT=$PORT, $GREETING"
for step in 1 2 3; do
  sleep 1
  echo "step $step/3 done"
done
echo "job finished"
exit 0
