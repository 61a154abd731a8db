#!/bin/sh
# Logs JSON lines; modhost reads the level from the top-level "level" member.
echo "{\"level\":\"debug\",\"msg\":\"$GREETING\",\"app\":\"$APP_NAME\",\"literal\":\"$LITERAL\"}"
i=0
while :; do
  i=$((i + 1))
  echo "{\"level\":\"info\",\"msg\":\"tick $i\",\"ps\":\"$PS\",\"port\":$PORT}"
  if [ $((i % 3)) -eq 0 ]; then
    echo "{\"level\":\"warn\",\"msg\":\"queue depth high\",\"depth\":$((i * 7))}"
  fi
  sleep 0.7
done
