#!/bin/sh
# Starts a grandchild that keeps logging. modhost stops the whole process group of each process,
# so the grandchild does not outlive the run (its pid is gone afterwards: try `kill -0 PID`).
sh -c 'while :; do echo "grandchild $$ still running"; sleep 1; done' &
echo "started grandchild $!"
wait
