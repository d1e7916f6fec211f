#!/usr/bin/env bash
# make soak: a bounded soak run. A broker and the simulated city (60 providers, 200 units) at a
# high report rate, with the storm; the broker is killed with SIGKILL and restarted a few times
# while reports flow. At the end every outbox must have drained, the broker must hold exactly
# the reports the simulator queued, and `samband-broker audit` must pass.
#
# Usage: tools/soak.sh BUILD_DIR [SECONDS]   (default 600)
# Environment: SOAK_RATE (reports/s, default 40), SOAK_KILLS (broker kills, default 4),
#              SOAK_DIR (work directory; default a new one under $TMPDIR, removed on success).
# Runs on free loopback ports, so it can run next to `make demo`. Exit status 0 only on success.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${1:-build}
duration=${2:-600}
rate=${SOAK_RATE:-40}
kills=${SOAK_KILLS:-4}
broker_bin="$build/bin/samband-broker"
sim_bin="$build/bin/samband-sim"
agent_bin="$build/bin/samband-agent"

for b in "$broker_bin" "$sim_bin" "$agent_bin"; do
  [ -x "$b" ] || { echo "make soak: $b is missing; build first with: make build" >&2; exit 2; }
done
[[ "$duration" =~ ^[0-9]+$ ]] && [ "$duration" -ge 30 ] ||
  { echo "make soak: SECONDS must be a whole number of at least 30" >&2; exit 2; }

if [ -n "${SOAK_DIR:-}" ]; then
  work=$SOAK_DIR
  [ ! -e "$work" ] || { echo "make soak: $work already exists" >&2; exit 2; }
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/samband-soak.XXXXXX")
fi

broker_pid=""
sim_pid=""
ok=0
failures=()

log() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
check() {  # check DESCRIPTION COMMAND...: records a failure instead of stopping
  local what=$1
  shift
  if "$@"; then
    log "ok: $what"
  else
    log "FAILED: $what"
    failures+=("$what")
  fi
}

cleanup() {
  trap '' INT TERM
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2> /dev/null; then
    kill -TERM "$sim_pid" 2> /dev/null || true
    wait "$sim_pid" 2> /dev/null || true
  fi
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2> /dev/null; then
    kill -TERM "$broker_pid" 2> /dev/null || true
    wait "$broker_pid" 2> /dev/null || true
  fi
  if [ "$ok" = 1 ] && [ -z "${SOAK_DIR:-}" ]; then
    rm -rf "$work"
  else
    echo "make soak: files kept in $work (broker.log, sim.log, status.json, audit.json)" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

read -r agent_port board_port < <(python3 - <<'EOF'
import socket
socks = []
while len(socks) < 2:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    if s.getsockname()[1] in (7700, 8080):
        continue
    socks.append(s)
print(*(s.getsockname()[1] for s in socks))
EOF
)
endpoint="tcp://127.0.0.1:$agent_port"
config="$work/broker/broker.toml"

wait_listening() {
  python3 - "$agent_port" "$broker_pid" <<'EOF'
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

start_broker() {
  "$broker_bin" serve --config "$config" >> "$work/broker.log" 2>&1 &
  broker_pid=$!
  wait_listening || { tail -n 20 "$work/broker.log" >&2; log "the broker did not come up"; exit 1; }
}

log "work directory $work; ${duration} s at $rate reports/s, $kills broker kills"
"$broker_bin" init --dir "$work/broker" --listen "$endpoint" \
  --board-listen "127.0.0.1:$board_port" > /dev/null
"$sim_bin" init --dir "$work/sim" --broker "$endpoint" --city-keys "$work/broker/city.pub" \
  > /dev/null
requests=()
while IFS= read -r r; do requests+=(--request "$r"); done < "$work/sim/requests.txt"
"$broker_bin" enroll --config "$config" "${requests[@]}" > "$work/enroll.log"
log "enrolled $((${#requests[@]} / 2)) providers"

start_broker
started=$(date +%s)
"$sim_bin" run --dir "$work/sim" --rate "$rate" --duration "$duration" --scenario storm \
  --storm-after 30 --drain-timeout 180 > "$work/sim.log" 2>&1 &
sim_pid=$!

# Kill the broker at evenly spread moments while reports flow; it stays down 1-5 s each time,
# so the agents queue, reconnect with backoff and resend.
restarts=0
step=$((duration / (kills + 1)))
for i in $(seq 1 "$kills"); do
  target=$((started + i * step))
  while [ "$(date +%s)" -lt "$target" ]; do
    kill -0 "$sim_pid" 2> /dev/null || break 2
    sleep 1
  done
  so_far=$(grep -o 'reports queued [0-9]*, acked [0-9]*' "$work/sim.log" | tail -n 1 || true)
  log "kill -9 the broker (pid $broker_pid)${so_far:+; so far $so_far}"
  kill -KILL "$broker_pid" 2> /dev/null || true
  wait "$broker_pid" 2> /dev/null || true
  sleep $((1 + RANDOM % 5))
  start_broker
  restarts=$((restarts + 1))
done

log "waiting for the simulator to finish and drain its outboxes"
sim_status=0
wait "$sim_pid" || sim_status=$?
sim_pid=""
tail -n 3 "$work/sim.log"

check "the simulator ended with every report acknowledged (exit $sim_status)" test "$sim_status" -eq 0

"$broker_bin" status --config "$config" --json > "$work/status.json" || true
queued=$(grep -o 'reports queued [0-9]*' "$work/sim.log" | tail -n 1 | grep -o '[0-9]*$' || echo 0)
# Each provider's chain runs 1..last_seq without gaps (audit proves it), so the sum of last_seq
# is what the broker stored from the agents; the city's own frames (checks, directives) are not
# in it.
frames=$(python3 -c 'import json,sys; print(sum(p["last_seq"] for p in json.load(open(sys.argv[1]))["providers"]))' \
  "$work/status.json" 2> /dev/null || echo "?")
check "the broker stored each of the $queued queued reports exactly once (agent frames: $frames)" \
  test "$frames" = "$queued"

audit_status=0
"$broker_bin" audit --config "$config" --json > "$work/audit.json" || audit_status=$?
check "samband-broker audit exits 0" test "$audit_status" -eq 0

# A few agents, the city's own (the largest) among them: nothing may be left in their outbox.
agent_pending() {
  "$agent_bin" status --config "$1/agent.toml" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["outbox_pending"])'
}
for dir in $(ls -d "$work"/sim/agents/* | head -n 5); do
  pending=$(agent_pending "$dir" 2> /dev/null || echo "?")
  check "outbox of $(basename "$dir") drained (outbox_pending $pending)" test "$pending" = 0
done

elapsed=$(($(date +%s) - started))
echo
echo "== soak summary"
echo "   ran ${elapsed} s, $rate reports/s, broker killed and restarted $restarts time(s)"
echo "   reports queued $queued, agent frames archived $frames"
python3 - "$work/audit.json" "$work/status.json" <<'EOF' || true
import json, sys
a = json.load(open(sys.argv[1]))
print("   audit: " + ", ".join(f"{k} {a[k]}" for k in
      ("frames", "senders", "bad_signatures", "chain_breaks", "duplicates") if k in a))
s = json.load(open(sys.argv[2]))
refused = {k: v for k, v in s["rejected"].items() if v}
print(f"   refused by the broker: {refused or 'none'}")
EOF
if [ ${#failures[@]} -gt 0 ]; then
  echo "   FAILED: ${#failures[@]} check(s):"
  printf '     - %s\n' "${failures[@]}"
  exit 1
fi
ok=1
echo "   all checks passed"
