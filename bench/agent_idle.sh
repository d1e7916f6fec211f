#!/usr/bin/env bash
# agent_idle.sh BUILD_DIR [SECONDS] [RESULTS.jsonl]: how light an idle `samband-agent run` is
# (issue 16, part 4). Starts a real broker and one enrolled agent on free loopback ports, lets
# the agent connect and settle, then measures it for SECONDS (default 60) with nothing to send:
# RSS (VmRSS, VmHWM), CPU (/proc/PID/stat), wake-ups (context switches of every thread from
# /proc/PID/task/*/status, and `perf stat -e context-switches,cpu-clock` when perf works),
# against what the heartbeat timer alone needs; the file-backed RSS per mapped file (which
# shared libraries it is made of). Also records the programs' sizes, stripped and not. Appends one JSON line {"bench": "agent_idle", ...} to RESULTS; bench/run.sh calls it.
# Targets: RSS < 8 MB, CPU < 0.1 %, no wake-ups beyond the heartbeat timer.
set -euo pipefail

BUILD=${1:-build}
SECONDS_IDLE=${2:-60}
RESULTS=${3:-/dev/null}
BROKER="$BUILD/bin/samband-broker"
AGENT="$BUILD/bin/samband-agent"
for f in "$BROKER" "$AGENT"; do
  [ -x "$f" ] || { echo "agent_idle.sh: $f is missing; build first" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/samband-agent-idle.XXXXXX")
broker_pid=""
agent_pid=""
cleanup() {
  for p in $agent_pid $broker_pid; do
    kill -TERM "$p" 2>/dev/null || true
  done
  for p in $agent_pid $broker_pid; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {  # a loopback port that was free a moment ago (never 7700 or 8080)
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
agent_port=$(free_port)
board_port=$(free_port)
"$BROKER" init --dir "$work/broker" --listen "tcp://127.0.0.1:$agent_port" \
  --board-listen "127.0.0.1:$board_port" >"$work/init.log"
"$AGENT" init --dir "$work/agent" --provider 556677-0001 --name "Idle Skolor AB" \
  --broker "tcp://127.0.0.1:$agent_port" --city-keys "$work/broker/city.pub" --unit 12345678 \
  >"$work/agent-init.log"
"$BROKER" enroll --config "$work/broker/broker.toml" \
  --request "$work/agent/enroll-request.json" >"$work/enroll.log"
heartbeat=$(sed -n 's/^heartbeat_interval_s *= *\([0-9]*\).*/\1/p' "$work/agent/agent.toml" | head -1)
heartbeat=${heartbeat:-30}

"$BROKER" serve --config "$work/broker/broker.toml" >"$work/broker.log" 2>&1 &
broker_pid=$!
"$AGENT" run --config "$work/agent/agent.toml" >"$work/agent.log" 2>&1 &
agent_pid=$!
# Connected and settled: the first heartbeat is acknowledged within seconds; give it 5 s more.
for _ in $(seq 100); do
  "$AGENT" status --config "$work/agent/agent.toml" 2>/dev/null | grep -qi "connected" && break
  sleep 0.1
done
sleep 5
kill -0 "$agent_pid" || { echo "agent_idle.sh: the agent stopped; see its log:" >&2; cat "$work/agent.log" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$agent_pid/stat"; }
switches() {  # "tid comm voluntary nonvoluntary" per thread
  for t in /proc/"$agent_pid"/task/*; do
    printf '%s %s %s %s\n' "${t##*/}" "$(tr ' ' '_' <"$t/comm")" \
      "$(awk '/^voluntary_ctxt_switches/ {print $2}' "$t/status")" \
      "$(awk '/^nonvoluntary_ctxt_switches/ {print $2}' "$t/status")"
  done
}
hz=$(getconf CLK_TCK)
t0=$(ticks)
switches >"$work/sw0"
start_ns=$(date +%s%N)
perf_out="$work/perf.txt"
if perf stat -e context-switches,cpu-clock -p "$agent_pid" -o "$perf_out" -- sleep "$SECONDS_IDLE" \
  2>/dev/null; then
  :
else
  : >"$perf_out"
  sleep "$SECONDS_IDLE"
fi
end_ns=$(date +%s%N)
t1=$(ticks)
switches >"$work/sw1"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$agent_pid/status")
rss_anon=$(awk '/^RssAnon/ {print $2}' "/proc/$agent_pid/status")
rss_file=$(awk '/^RssFile/ {print $2}' "/proc/$agent_pid/status")
pss=$(awk '/^Pss:/ {print $2}' "/proc/$agent_pid/smaps_rollup" 2>/dev/null || echo 0)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$agent_pid/status")
threads=$(awk '/^Threads/ {print $2}' "/proc/$agent_pid/status")
cat "/proc/$agent_pid/smaps" >"$work/smaps"
stripped="$work/samband-agent.stripped"
strip -o "$stripped" "$AGENT"
# Every program's size as built and stripped ("name bytes stripped_bytes" lines).
for b in samband-agent samband-agent-form samband-broker samband-sim; do
  [ -f "$BUILD/bin/$b" ] || continue
  strip -o "$work/$b.stripped" "$BUILD/bin/$b"
  echo "$b $(stat -L -c %s "$BUILD/bin/$b") $(stat -c %s "$work/$b.stripped")"
done >"$work/sizes"

python3 - "$work" "$RESULTS" "$hz" "$t0" "$t1" "$start_ns" "$end_ns" "$rss" "$hwm" "$threads" \
  "$heartbeat" "$(stat -L -c %s "$AGENT")" "$(stat -c %s "$stripped")" "$perf_out" "$rss_anon" \
  "$rss_file" "${pss:-0}" <<'PY'
import json, re, sys
(work, results, hz, t0, t1, start, end, rss, hwm, threads, heartbeat, size, stripped,
 perf, rss_anon, rss_file, pss) = sys.argv[1:]
seconds = (int(end) - int(start)) / 1e9
cpu_s = (int(t1) - int(t0)) / int(hz)
def load(p):
    out = {}
    for line in open(p):
        tid, comm, v, n = line.split()
        out[tid] = (comm, int(v) + int(n))
    return out
def by_mapping(path):
    # RSS per mapped file (its resident pages still backed by the file: Rss minus the pages
    # written by relocation, which are anonymous copies), and the anonymous rest together.
    out, name = {}, None
    for line in open(path):
        head = line.split()
        if head and re.match(r"^[0-9a-f]+-[0-9a-f]+$", head[0]):
            name = head[5].rsplit("/", 1)[-1] if len(head) > 5 and head[5].startswith("/") else "[anon]"
            out.setdefault(name, {"rss": 0, "anon": 0})
        elif head and head[0] in ("Rss:", "Anonymous:") and name:
            out[name]["rss" if head[0] == "Rss:" else "anon"] += int(head[1])
    files = {k: v["rss"] - v["anon"] for k, v in out.items() if k != "[anon]"}
    return dict(sorted(((k, v) for k, v in files.items() if v > 0), key=lambda kv: -kv[1]))
rss_file_by_mapping = by_mapping(f"{work}/smaps")
sizes = {}
for line in open(f"{work}/sizes"):
    name, full, small = line.split()
    sizes[name] = {"bytes": int(full), "stripped_bytes": int(small)}
a, b = load(f"{work}/sw0"), load(f"{work}/sw1")
per_thread = {}
for tid, (comm, n) in b.items():
    d = n - a.get(tid, (comm, 0))[1]
    per_thread[f"{comm}:{tid}"] = d
total = sum(per_thread.values())
text = open(perf).read()
m = re.search(r"([\d,.]+)\s+context-switches", text)
perf_cs = int(m.group(1).replace(",", "").split(".")[0]) if m else None
m = re.search(r"([\d,.]+)\s+msec cpu-clock", text)
perf_cpu_ms = float(m.group(1).replace(",", "")) if m else None
# perf says "<not counted>" for a process that was never scheduled in the window: nothing ran.
if "<not counted>" in text:
    perf_cs = 0 if perf_cs is None else perf_cs
    perf_cpu_ms = 0.0 if perf_cpu_ms is None else perf_cpu_ms
row = {"bench": "agent_idle", "seconds": round(seconds, 1), "rss_kib": int(rss),
       "hwm_kib": int(hwm), "rss_anon_kib": int(rss_anon), "rss_file_kib": int(rss_file),
       "pss_kib": int(pss), "threads": int(threads), "cpu_percent": 100 * cpu_s / seconds,
       "wakeups": total, "wakeups_per_s": total / seconds, "wakeups_by_thread": per_thread,
       "perf_context_switches": perf_cs, "perf_cpu_ms": perf_cpu_ms,
       "heartbeat_s": int(heartbeat), "heartbeats_in_window": seconds / int(heartbeat),
       "binary_bytes": int(size), "binary_stripped_bytes": int(stripped),
       "rss_file_kib_by_mapping": rss_file_by_mapping,
       "mapped_files": len(rss_file_by_mapping), "binaries": sizes}
with open(results, "a") as f:
    f.write(json.dumps(row) + "\n")
print(f"idle agent over {seconds:.0f} s: RSS {int(rss)/1024:.1f} MiB (peak {int(hwm)/1024:.1f}; "
      f"{int(rss_anon)/1024:.1f} MiB its own memory, {int(rss_file)/1024:.1f} MiB mapped files "
      f"such as shared libraries; PSS {int(pss)/1024:.1f} MiB), "
      f"{threads} threads, CPU {row['cpu_percent']:.3f} % (target < 0.1 %)")
print(f"wake-ups (context switches, all threads): {total} = {total/seconds:.2f}/s; "
      f"heartbeat every {heartbeat} s = {seconds/int(heartbeat):.1f} in the window; by thread: "
      + ", ".join(f"{k} {v}" for k, v in sorted(per_thread.items())))
print(f"file-backed RSS by mapping ({len(rss_file_by_mapping)} files, KiB): "
      + ", ".join(f"{k} {v}" for k, v in rss_file_by_mapping.items()))
if perf_cs is not None:
    print(f"perf stat: {perf_cs} context-switches, {perf_cpu_ms} ms cpu-clock")
print("binaries (MiB, as built / stripped): " + ", ".join(
    f"{k} {v['bytes']/1048576:.2f} / {v['stripped_bytes']/1048576:.2f}" for k, v in sizes.items()))
PY
