#!/usr/bin/env bash
# sim_smoke: the simulator end to end, in under a minute. On free loopback ports (never the
# demo's 7700/8080) it creates a broker and a small city (5 providers, 15 units; the same seed
# twice must give the same roster), enrolls the agents through `samband-broker enroll`, imports
# the roster (when the broker has `roster`), serves, runs `samband-sim run` for 10 s with a storm
# early on, then checks with `samband-broker status --json` that every provider is online and
# every unit has reported, and that `samband-broker audit` passes. Registered with CTest in
# tools/CMakeLists.txt. Usage: sim_smoke.sh SAMBAND_BROKER SAMBAND_SIM
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 SAMBAND_BROKER SAMBAND_SIM" >&2
  exit 2
fi
broker_bin=$1
sim_bin=$2

work=$(mktemp -d "${TMPDIR:-/tmp}/samband-sim-smoke.XXXXXX")
broker_pid=""
ok=0

cleanup() {
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2>/dev/null; then
    kill -TERM "$broker_pid" 2>/dev/null || true
    wait "$broker_pid" 2>/dev/null || true
  fi
  if [ "$ok" = 1 ]; then
    rm -rf "$work"
  else
    echo "sim_smoke: FAILED; files kept in $work" >&2
    if [ -f "$work/broker.log" ]; then
      echo "--- last lines of the broker log:" >&2
      tail -n 20 "$work/broker.log" >&2
    fi
  fi
}
trap cleanup EXIT

fail() {
  echo "sim_smoke: $*" >&2
  exit 1
}

# Two free loopback ports, chosen by the kernel (never 7700 or 8080, the demo's).
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

"$broker_bin" init --dir "$work/broker" --listen "$endpoint" \
  --board-listen "127.0.0.1:$board_port" > /dev/null
config="$work/broker/broker.toml"
"$sim_bin" init --dir "$work/sim" --broker "$endpoint" --city-keys "$work/broker/city.pub" \
  --providers 5 --units 15 --seed 7 > /dev/null

# The same seed must give the same city (run regenerates it from sim.toml).
"$sim_bin" init --dir "$work/sim-again" --broker "$endpoint" \
  --city-keys "$work/broker/city.pub" --providers 5 --units 15 --seed 7 > /dev/null
cmp -s "$work/sim/roster.csv" "$work/sim-again/roster.csv" ||
  fail "two cities made with --seed 7 differ (roster.csv)"

requests=()
while IFS= read -r r; do requests+=(--request "$r"); done < "$work/sim/requests.txt"
[ ${#requests[@]} -eq 10 ] || fail "expected 5 enrollment requests, got $((${#requests[@]} / 2))"
"$broker_bin" enroll --config "$config" "${requests[@]}" > "$work/enroll.log"

# The roster goes through the broker's own parser when this broker has the verb.
with_roster=0
# (An older CLI answers `roster --help` with its own help and exit 0: look for the sub-verb.)
roster_help=$("$broker_bin" roster --help 2>&1 || true)
if grep -q '^ *import ' <<< "$roster_help"; then
  "$broker_bin" roster import --config "$config" "$work/sim/roster.csv" > "$work/roster.log" 2>&1 ||
    { cat "$work/roster.log" >&2; fail "samband-broker roster import refused the simulator's roster.csv"; }
  with_roster=1
fi

"$broker_bin" serve --config "$config" > "$work/broker.log" 2>&1 &
broker_pid=$!

# Wait (with a deadline) until the broker accepts connections.
python3 - "$agent_port" <<'EOF' || fail "the broker did not start listening on port $agent_port"
import socket, sys, time
deadline = time.monotonic() + 15
while time.monotonic() < deadline:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
kill -0 "$broker_pid" 2>/dev/null || fail "the broker exited at start"

# Ten seconds of reports; the storm comes after 2 s. The simulator then waits for every report
# to be acknowledged and exits 0 only when all were.
"$sim_bin" run --dir "$work/sim" --rate 5 --duration 10 --storm-after 2 --status-every 5 \
  --drain-timeout 20 > "$work/sim.log" 2>&1 || {
  cat "$work/sim.log" >&2
  fail "samband-sim run did not finish with every report acknowledged"
}

"$broker_bin" status --config "$config" --json > "$work/status.json" ||
  fail "samband-broker status --json failed"
python3 - "$work/status.json" "$with_roster" <<'EOF' || fail "the broker's picture is not what the simulator sent"
import json, sys
picture = json.load(open(sys.argv[1]))
with_roster = sys.argv[2] == "1"
problems = []
providers = picture["providers"]
if len(providers) != 5:
    problems.append(f"expected 5 providers, found {len(providers)}")
units = [u for p in providers for u in p["units"]]
if len(units) != 15:
    problems.append(f"expected 15 units, found {len(units)}")
for p in providers:
    if p["liveness"] != "online" or not p["last_seen"]:
        problems.append(f"provider {p['id']} is {p['liveness']}, last seen {p['last_seen']}")
    if p["last_seq"] < 2 * len(p["units"]):
        problems.append(f"provider {p['id']} has only {p['last_seq']} archived frames")
for u in units:
    if u["operational"] == "unknown" or not u["reported_at"]:
        problems.append(f"unit {u['code']} has no reported state")
    if u["pupils_enrolled"] is None or u["staff_total"] is None:
        problems.append(f"unit {u['code']} has no pupil or staff counts")
    if with_roster and (not u.get("name") or not u.get("district")):
        problems.append(f"unit {u['code']} has no name or district from the roster")
hit = [u for u in units if u["electricity"] in ("backup", "none")]
if not hit:
    problems.append("the storm cut no unit's power")
bad = {k: v for k, v in picture["rejected"].items() if v}
if bad:
    problems.append(f"the broker refused frames: {bad}")
for m in problems:
    print("  " + m, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF

"$broker_bin" audit --config "$config" > "$work/audit.txt" || {
  cat "$work/audit.txt" >&2
  fail "samband-broker audit found the archive broken"
}

ok=1
echo "sim_smoke: ok ($(grep -o 'reports queued [0-9]*' "$work/sim.log" | tail -n 1), archive intact)"
