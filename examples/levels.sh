#!/bin/sh
# Logs plain text at several levels (the tracing format and logfmt); modhost detects each line's
# level and, on a terminal, shows warnings in yellow and errors in red. It also writes a line in
# two parts: modhost flushes the first part after ~100 ms of silence and prints the rest as a
# continuation with the same prefix.
i=0
while :; do
  i=$((i + 1))
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ)  INFO levels: request $i served on port $PORT"
  sleep 0.4
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ)  WARN levels: request $i took 950 ms"
  sleep 0.4
  echo "level=error msg=\"request $i failed\" db=$DATABASE_URL"
  sleep 0.4
  printf 'compacting the cache...'
  sleep 0.4
  echo ' done'
done
