#!/usr/bin/env bash
# Every benchmark of issue 16 at full size, one after another; each prints its figures beside
# the baseline it measured in the same run (min / median of 3 repeats), and the machine's load
# average when it started. About 15-20 minutes on a 2-core machine (bench/RESULTS.md).
#
#   bench/run_all.sh [--no-postgres] 2>&1 | tee bench-$(date -u +%Y%m%dT%H%M).txt
#
# PostgreSQL: TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test) must answer
# for the interactive benchmark's PostgreSQL figures; otherwise they are skipped, with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
EXTRA=("$@")
started=$(date +%s)

step() {
    echo
    echo "=== $1   ($(date -u +%H:%M:%S) UTC, load average $(cut -d' ' -f1-3 /proc/loadavg))"
}

step "1/3 live meeting: 60 lines in a minute in one group at Telegram's production limits"
"$PY" bench/bench_meeting.py --repeat 3 --together --grace 10

step "2/3 interactive: the everyday mix, saturation and latency at 25-200 updates/s, beside an echo bot"
"$PY" bench/bench_interactive.py --repeat 3 --saturation 200 --duration 2 "${EXTRA[@]}"

step "3/3 reminders: (a) default limits, (b) 1 000/s against a raw send loop, (c) 100 000 future, (d) 1 000 partnerships, (e) SIGKILL"
"$PY" bench/bench_reminders.py --repeat 3 --reminders 3000 --chats 1000

echo
echo "=== all done in $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s, load average $(cut -d' ' -f1-3 /proc/loadavg)"
