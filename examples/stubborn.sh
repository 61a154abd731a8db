#!/bin/sh
# Ignores SIGTERM, so the stop has to wait for the grace period (-t, 5 s by default) and then
# kill it: the summary lists it under "killed after 5s".
trap 'echo "got SIGTERM, ignoring it"' TERM
echo "I ignore SIGTERM; modhost will have to kill me"
while :; do
  sleep 1
done
