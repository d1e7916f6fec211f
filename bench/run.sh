#!/usr/bin/env bash
# `make bench` runs this as ./bench/run.sh BUILD_DIR. Bounded (each step has a timeout; about 7
# minutes in all on a 2-core box), loopback only, free ports only (never 7700/8080); every
# broker it starts stops by itself. Writes BUILD_DIR/bench-results/{results.jsonl, planner.json,
# summary.txt, *.log} and prints the summary. docs/performance.md explains the numbers.
#
# Knobs (environment):
#   BENCH_AGENTS="50 200"        simulated agents per ingest run (and MQTT publishers)
#   BENCH_VERIFY_THREADS=0,1,2   [ingest] verify_threads settings, one broker run each
#   BENCH_WINDOW=64              unacknowledged reports per agent
#   BENCH_TOTAL=120000           reports per saturation run
#   BENCH_LIGHT_RATE=100 BENCH_LIGHT_SECONDS=6
#   BENCH_BATCH=32               reports per signed batch in the backlogged-agent runs (issue 16;
#                                0 skips them); same agents, window and payload as above
#   BENCH_DRAIN_AGENTS=1000 BENCH_DRAIN_REPORTS=100   backlog drain: agents x queued reports
#                                each (0 agents skips); docs/performance.md scales it to 4 million
#   BENCH_CONNECT_AGENTS=10000   agents connecting at once (0 skips)
#   BENCH_CONNECT_TIMEOUT=180    seconds
#   BENCH_PLANNER=1              0 skips planner_bench
#   BENCH_ASOF=1                 0 skips asof_bench; BENCH_ASOF_UNITS=1000 BENCH_ASOF_DAYS=7
#                                BENCH_ASOF_EVERY=50000 (frames between picture snapshots)
#   BENCH_BOARD=1                0 skips board_bench; BENCH_BOARD_VIEWERS=500 BENCH_BOARD_RATE=1000
#                                BENCH_BOARD_UNITS=10000 BENCH_BOARD_PROVIDERS=400
#                                BENCH_BOARD_SECONDS=15 (each measured window)
#   BENCH_BOARD_VIEW=1           0 skips board_view_bench; BENCH_BOARD_VIEW_UNITS=10000
#   BENCH_AGENT_IDLE_SECONDS=60  0 skips agent_idle.sh
#   BENCH_AUDIT=1                0 skips audit_bench; BENCH_AUDIT_UNITS=1000 BENCH_AUDIT_DAYS=1
#                                (twice: a checkpoint per round of all units, and per report)
#   BENCH_AUDIT_INSTRUCTIONS=1   0 skips audit_instructions.sh (callgrind: needs valgrind);
#                                BENCH_AUDIT_IR_UNITS=100
#   BENCH_REPLICATION=1          0 skips replication_bench (two brokers as peers)
#   BENCH_QUICK=1                a small smoke run (seconds, not minutes)
set -uo pipefail

BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
OUT="$BUILD/bench-results"
BIN="$BUILD/bench"
BROKER="$BUILD/bin/samband-broker"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
  : "${BENCH_AGENTS:=20}" "${BENCH_TOTAL:=5000}" "${BENCH_LIGHT_SECONDS:=2}"
  : "${BENCH_CONNECT_AGENTS:=500}" "${BENCH_PLANNER:=0}" "${BENCH_VERIFY_SECONDS:=1}"
  : "${BENCH_ASOF_UNITS:=200}" "${BENCH_ASOF_DAYS:=1}" "${BENCH_ASOF_EVERY:=5000}"
  : "${BENCH_DRAIN_AGENTS:=200}" "${BENCH_DRAIN_REPORTS:=20}"
  : "${BENCH_BOARD_VIEWERS:=20}" "${BENCH_BOARD_RATE:=100}" "${BENCH_BOARD_UNITS:=500}"
  : "${BENCH_BOARD_PROVIDERS:=20}" "${BENCH_BOARD_SECONDS:=4}" "${BENCH_AGENT_IDLE_SECONDS:=5}"
  : "${BENCH_AUDIT_UNITS:=100}" "${BENCH_BOARD_VIEW_UNITS:=1000}"
fi
AGENTS=${BENCH_AGENTS:-"50 200"}
VERIFY_THREADS=${BENCH_VERIFY_THREADS:-0,1,2}
WINDOW=${BENCH_WINDOW:-64}
TOTAL=${BENCH_TOTAL:-120000}
LIGHT_RATE=${BENCH_LIGHT_RATE:-100}
LIGHT_SECONDS=${BENCH_LIGHT_SECONDS:-6}
CONNECT_AGENTS=${BENCH_CONNECT_AGENTS:-10000}
CONNECT_TIMEOUT=${BENCH_CONNECT_TIMEOUT:-180}
PLANNER=${BENCH_PLANNER:-1}
VERIFY_SECONDS=${BENCH_VERIFY_SECONDS:-3}

for f in "$BIN/ingest_bench" "$BROKER"; do
  [ -x "$f" ] || { echo "bench/run.sh: $f is missing; build first (make bench builds it)" >&2; exit 2; }
done

# Results are per run: start clean. Broker directories go under the build tree, on the same disk
# as a real deployment's database would be (not tmpfs: fsync must cost what it costs).
rm -rf "$OUT"
mkdir -p "$OUT/work"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
failures=0
step() {  # step NAME TIMEOUT_S command...: runs with a timeout, logs to OUT/NAME.log, counts failures
  local name=$1 limit=$2
  shift 2
  echo "== $name"
  timeout --kill-after=10 "$limit" "$@" 2>&1 | tee -a "$OUT/$name.log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" != 0 ]; then
    echo "!! $name failed (exit $rc); see $OUT/$name.log"
    failures=$((failures + 1))
  fi
}

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cpu="$cpu (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model \
$(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), \
$(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | tr -d ' ' | cut -d. -f1) MHz\
$(grep -q ' hypervisor' /proc/cpuinfo && echo ', virtual machine'))"
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
python3 - "$RESULTS" "$(nproc)" "$cpu" "$mem" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import json, sys, datetime
path, nproc, cpu, mem, load = sys.argv[1:]
with open(path, "a") as f:
    f.write(json.dumps({"bench": "machine", "nproc": int(nproc), "cpu": cpu, "ram": mem,
                        "loadavg_at_start": load,
                        "started": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}) + "\n")
EOF
echo "Machine: $(nproc) cores, $cpu, $mem RAM; load average $(cut -d' ' -f1-3 /proc/loadavg)"

step verify 60 "$BIN/ingest_bench" verify --seconds "$VERIFY_SECONDS" --json "$RESULTS"

for k in $AGENTS; do
  step "ingest-k$k" 420 "$BIN/ingest_bench" ingest --broker "$BROKER" --work "$OUT/work" \
    --json "$RESULTS" --agents "$k" --verify-threads "$VERIFY_THREADS" --window "$WINDOW" \
    --total "$TOTAL" --light-rate "$LIGHT_RATE" --light-seconds "$LIGHT_SECONDS"
done
# The cost of the city's checkpoints and receipts: the same load without them (goal: at most
# 10% of the throughput above). One agent count and one verify setting, to stay bounded.
CP_AGENTS=${BENCH_CHECKPOINT_AGENTS:-${AGENTS##* }}
CP_VERIFY=${BENCH_CHECKPOINT_VERIFY_THREADS:-${VERIFY_THREADS##*,}}
step "ingest-nocp-k$CP_AGENTS" 420 "$BIN/ingest_bench" ingest --broker "$BROKER" \
  --work "$OUT/work" --json "$RESULTS" --agents "$CP_AGENTS" --verify-threads "$CP_VERIFY" \
  --window "$WINDOW" --total "$TOTAL" --light-rate "$LIGHT_RATE" \
  --light-seconds "$LIGHT_SECONDS" --no-checkpoints

# Backlogged agents (issue 16): the same agents, window and reports, but each agent sends its
# backlog as signed batches of BENCH_BATCH reports (one signature each). The best verify setting.
BATCH=${BENCH_BATCH:-32}
if [ "$BATCH" -gt 1 ]; then
  for k in $AGENTS; do
    step "ingest-batch-k$k" 420 "$BIN/ingest_bench" ingest --broker "$BROKER" --work "$OUT/work" \
      --json "$RESULTS" --agents "$k" --verify-threads "${VERIFY_THREADS##*,}" --window "$WINDOW" \
      --total "$TOTAL" --light-rate "$LIGHT_RATE" --light-seconds "$LIGHT_SECONDS" --batch "$BATCH"
  done
fi
DRAIN_AGENTS=${BENCH_DRAIN_AGENTS:-1000}
if [ "$DRAIN_AGENTS" -gt 0 ]; then
  step "drain-k$DRAIN_AGENTS" 600 "$BIN/ingest_bench" drain --broker "$BROKER" --work "$OUT/work" \
    --json "$RESULTS" --agents "$DRAIN_AGENTS" --reports "${BENCH_DRAIN_REPORTS:-100}" \
    --verify-threads "${VERIFY_THREADS##*,}"
fi

# MQTT in the same run, with the same load shape and our mean envelope size as payload.
mosquitto=$(command -v mosquitto || { [ -x /usr/sbin/mosquitto ] && echo /usr/sbin/mosquitto; } || true)
if [ -x "$BIN/mqtt_bench" ] && [ -n "$mosquitto" ]; then
  payload=$(python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sizes = [r["envelope_bytes"] for r in rows if r.get("bench") == "ingest"]
print(round(sum(sizes) / len(sizes)) if sizes else 560)' "$RESULTS")
  for k in $AGENTS; do
    for mode in "" --queued-subscriber; do
      step "mqtt-k$k${mode:+-queued}" 300 "$BIN/mqtt_bench" --mosquitto "$mosquitto" \
        --work "$OUT/work" --json "$RESULTS" --publishers "$k" --window "$WINDOW" \
        --payload-bytes "$payload" --total "$TOTAL" --light-rate "$LIGHT_RATE" \
        --light-seconds "$LIGHT_SECONDS" $mode
    done
  done
else
  echo "== mqtt: skipped (mqtt_bench or mosquitto missing: apt-get install mosquitto libmosquitto-dev)"
fi

if [ "$CONNECT_AGENTS" -gt 0 ]; then
  step "connect-k$CONNECT_AGENTS" $((CONNECT_TIMEOUT + 240)) "$BIN/ingest_bench" connect \
    --broker "$BROKER" --work "$OUT/work" --json "$RESULTS" --agents "$CONNECT_AGENTS" \
    --timeout-s "$CONNECT_TIMEOUT"
fi

# The picture at a past moment (issue 13): a scaled-down archive (BENCH_ASOF_UNITS units, each
# reporting every 15 minutes for BENCH_ASOF_DAYS days), rebuilt at random moments with the
# picture snapshots and from the first frame. docs/performance.md says how it scales to a year.
if [ -x "$BIN/asof_bench" ] && [ "${BENCH_ASOF:-1}" = 1 ]; then
  step as-of 600 "$BIN/asof_bench" --work "$OUT/work/asof" --json "$RESULTS" \
    --units "${BENCH_ASOF_UNITS:-1000}" --days "${BENCH_ASOF_DAYS:-7}" \
    --every "${BENCH_ASOF_EVERY:-50000}"
fi

# Issue 16: the board under many live-stream viewers (a real broker, signed-envelope senders).
if [ -x "$BIN/board_bench" ] && [ "${BENCH_BOARD:-1}" = 1 ]; then
  step board 600 "$BIN/board_bench" --broker "$BROKER" \
    --work "$OUT/work/board" --json "$RESULTS" --viewers "${BENCH_BOARD_VIEWERS:-500}" \
    --rate "${BENCH_BOARD_RATE:-1000}" --units "${BENCH_BOARD_UNITS:-10000}" \
    --providers "${BENCH_BOARD_PROVIDERS:-400}" --seconds "${BENCH_BOARD_SECONDS:-15}"
fi
# Issue 16: GET /api/units for a 10,000-unit picture without HTTP: the tree before, the direct
# text now, the per-version cache, and the memory of eight renders at once.
if [ -x "$BIN/board_view_bench" ] && [ "${BENCH_BOARD_VIEW:-1}" = 1 ]; then
  step board-view 300 "$BIN/board_view_bench" --work "$OUT/work/board-view" --json "$RESULTS" \
    --units "${BENCH_BOARD_VIEW_UNITS:-10000}" --mmap-threshold 1048576
fi
# Issue 16: an idle agent's memory, CPU and wake-ups, and its binary's size.
if [ "${BENCH_AGENT_IDLE_SECONDS:-60}" -gt 0 ]; then
  step agent-idle $((${BENCH_AGENT_IDLE_SECONDS:-60} + 120)) "$HERE/agent_idle.sh" "$BUILD" \
    "${BENCH_AGENT_IDLE_SECONDS:-60}" "$RESULTS"
fi
# Issue 16: re-verifying an archive against the all-core raw verify rate of this run.
if [ -x "$BIN/audit_bench" ] && [ "${BENCH_AUDIT:-1}" = 1 ]; then
  step audit 600 "$BIN/audit_bench" --work "$OUT/work/audit" --json "$RESULTS" \
    --units "${BENCH_AUDIT_UNITS:-1000}" --days "${BENCH_AUDIT_DAYS:-1}"
  # The archive of a broker at a city's usual pace: a checkpoint per report.
  step audit-trickle 600 "$BIN/audit_bench" --work "$OUT/work/audit-trickle" --json "$RESULTS" \
    --units "${BENCH_AUDIT_UNITS:-1000}" --days "${BENCH_AUDIT_DAYS:-1}" --serial 0 \
    --reports-per-checkpoint 1
fi
# The same as instructions per frame (callgrind), which the load on the machine cannot change.
if [ -x "$BIN/audit_bench" ] && [ "${BENCH_AUDIT_INSTRUCTIONS:-1}" = 1 ] &&
  command -v valgrind >/dev/null; then
  step audit-instructions 900 "$HERE/audit_instructions.sh" "$BUILD" \
    "${BENCH_AUDIT_IR_UNITS:-100}" 1 "$RESULTS"
fi
# A standby broker (issue 15): replication lag at light load and the ingest throughput cost of
# ack = "peer", two brokers on loopback. docs/performance.md, "Replication".
if [ -x "$BIN/replication_bench" ] && [ "${BENCH_REPLICATION:-1}" = 1 ]; then
  step replication 600 "$BIN/replication_bench" --broker "$BROKER" --work "$OUT/work/replication" \
    --json "$RESULTS"
fi

planner=$(find "$BUILD" -name planner_bench -type f -perm -u+x 2>/dev/null | head -1)
if [ "$PLANNER" = 1 ] && [ -n "$planner" ]; then
  # The command docs/planning.md records (plain ./planner_bench), plus JSON for the summary.
  step planner 400 "$planner" --benchmark_out="$OUT/planner.json" --benchmark_out_format=json
elif [ "$PLANNER" = 1 ]; then
  echo "== planner: planner_bench not built"
fi

rm -rf "$OUT/work"
python3 "$HERE/summary.py" "$RESULTS" "$OUT/planner.json" | tee "$OUT/summary.txt"
echo "Results: $OUT (results.jsonl, summary.txt, logs)"
[ "$failures" = 0 ] || { echo "$failures step(s) failed"; exit 1; }
