#!/usr/bin/env bash
# make demo: a broker and a simulated Stockholm on this machine, until Ctrl-C.
#
# Creates ./demo-data afresh on every run (the previous demo's data is wiped): the demo tells
# the same story each time (a city of 60 providers and 200 units, a storm after a minute), and
# the broker's database and the agents' outboxes always belong together. Copy demo-data/
# elsewhere first if you want to keep it.
#
# Usage: tools/demo.sh BUILD_DIR   (run from anywhere; paths are relative to the repository)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
build=${1:-build}
broker_bin="$build/bin/samband-broker"
sim_bin="$build/bin/samband-sim"
data=demo-data
marker="$data/.samband-demo"
listen_port=7700
board_port=8080
endpoint="tcp://127.0.0.1:$listen_port"
board="127.0.0.1:$board_port"
config="$data/broker/broker.toml"

say() { printf '%s\n' "$*"; }
die() {
  printf 'make demo: %s\n' "$*" >&2
  exit 1
}

for b in "$broker_bin" "$sim_bin"; do
  [ -x "$b" ] || die "$b is missing; build first with: make build"
done
command -v python3 > /dev/null || die "python3 is missing; install it with: sudo apt-get install python3"

# The demo uses the default ports; say clearly when something else holds them.
port_free() {
  python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
# As the broker does: connections of an earlier run in TIME_WAIT must not count as "in use".
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}
for p in "$listen_port" "$board_port"; do
  if ! port_free "$p"; then
    holder=$( (ss -ltnpH "sport = :$p" 2> /dev/null || true) | sed -n 's/.*users:(("\([^"]*\)".*/\1/p' | head -n 1)
    die "port $p on 127.0.0.1 is already in use${holder:+ by $holder}. Is another demo or samband-broker running? Stop it (or free the port) and run make demo again."
  fi
done

# Fresh data every run, but only ever delete a directory this script created.
if [ -e "$data" ]; then
  [ -f "$marker" ] || die "$root/$data exists but was not made by make demo; move it away first"
  rm -rf "$data"
fi
mkdir -p "$data"
chmod 700 "$data"
: > "$marker"

broker_pid=""
sim_pid=""
tail_pid=""
stopping=0
stop_all() {
  [ "$stopping" = 1 ] && return
  stopping=1
  trap '' INT TERM
  if [ -n "$sim_pid" ] && kill -0 "$sim_pid" 2> /dev/null; then
    kill -TERM "$sim_pid" 2> /dev/null || true
    wait "$sim_pid" 2> /dev/null || true
  fi
  if [ -n "$broker_pid" ] && kill -0 "$broker_pid" 2> /dev/null; then
    kill -TERM "$broker_pid" 2> /dev/null || true
    wait "$broker_pid" 2> /dev/null || true
  fi
  # tail ends by itself within a second of the simulator (--pid), after its last lines.
  if [ -n "$tail_pid" ]; then
    wait "$tail_pid" 2> /dev/null || true
  fi
  say ""
  say "Stopped the broker and the simulator. The data stays in $root/$data until the next make demo."
}
trap stop_all EXIT
# Ctrl-C reaches the broker and the simulator too (same process group); both stop cleanly on it,
# and stop_all makes sure. Before the end of setup an interrupt just exits.
interrupted=0
trap 'exit 130' INT TERM

say "== Samband demo: creating the city's broker in $data/broker"
"$broker_bin" init --dir "$data/broker" --listen "$endpoint" --board-listen "$board" > "$data/init.log"

say "== Generating a simulated Stockholm in $data/sim"
"$sim_bin" init --dir "$data/sim" --broker "$endpoint" --city-keys "$data/broker/city.pub" \
  > "$data/sim-init.log"
head -n 1 "$data/sim-init.log"

say "== Enrolling every provider through samband-broker enroll"
requests=()
while IFS= read -r r; do requests+=(--request "$r"); done < "$data/sim/requests.txt"
"$broker_bin" enroll --config "$config" "${requests[@]}" > "$data/enroll.log" ||
  die "enrollment failed; see $data/enroll.log"
say "   $((${#requests[@]} / 2)) providers enrolled (details in $data/enroll.log)"

say "== Importing the roster (names, districts, positions, school forms)"
"$broker_bin" roster import --config "$config" "$data/sim/roster.csv" > "$data/roster.log" 2>&1 ||
  die "roster import failed; see $data/roster.log"

password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(12))')
printf '%s\n' "$password" |
  "$broker_bin" user add --config "$config" --name demo --role operator \
    > "$data/user.log" 2>&1 || die "could not create the demo operator; see $data/user.log"
(umask 077 && printf 'user: demo\npassword: %s\n' "$password" > "$data/demo-login.txt")
login="demo / $password   (also in $data/demo-login.txt)"

say "== Starting samband-broker serve (log: $data/broker.log)"
"$broker_bin" serve --config "$config" >> "$data/broker.log" 2>&1 &
broker_pid=$!
python3 - "$listen_port" "$broker_pid" <<'EOF' || { tail -n 20 "$data/broker.log" >&2; die "the broker did not come up"; }
import os, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
deadline = time.monotonic() + 20
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF

cat << EOF

==========================================================================================
 Samband demo is running: a broker and 60 simulated providers with 200 school units.
 A storm cuts the power in one or two districts after about a minute; one private provider
 then reports that it cannot continue.

 Data          $root/$data
                 broker/    broker.toml, city.identity, city.pub, samband.db
                 sim/       roster.csv, agents/<orgnr>/ (agent.toml, agent.identity, outbox.db)
                 broker.log, sim.log
EOF
say " Board         http://$board/"
say " Login         $login"
cat << EOF
 Look at it    $build/bin/samband-broker status --config $config
               $build/bin/samband-broker status --config $config --json
               $build/bin/samband-broker audit  --config $config
 One agent     $build/bin/samband-agent status --config $data/sim/agents/212000-0142/agent.toml
EOF
cat << EOF
 Try           $build/bin/samband-broker directive send --config $config --to all \\
                 --level heightened --text "Höjd beredskap: rapportera oftare."
               (connected agents get it at once; the city then reports more often)
               $build/bin/samband-broker readiness run --config $config --deadline 2m --wait

 Press Ctrl-C to stop everything.
==========================================================================================

EOF

# The simulator writes to its log only (a pipe could break on Ctrl-C before it has stopped);
# tail shows the log here and ends with the simulator.
: >> "$data/sim.log"  # exists before tail opens it (the simulator's redirect may come later)
"$sim_bin" run --dir "$data/sim" --scenario storm >> "$data/sim.log" 2>&1 &
sim_pid=$!
tail -n +1 -f --pid="$sim_pid" "$data/sim.log" &
tail_pid=$!

# Runs until Ctrl-C, or until the broker or the simulator stops by itself.
trap 'interrupted=1' INT TERM
while [ "$interrupted" = 0 ] && kill -0 "$sim_pid" 2> /dev/null &&
  kill -0 "$broker_pid" 2> /dev/null; do
  sleep 1 || true
done
# A Ctrl-C stops the children as fast as it reaches this shell: give its trap a moment to run.
[ "$interrupted" = 1 ] || sleep 1 || true
[ "$interrupted" = 1 ] && exit 0
if ! kill -0 "$broker_pid" 2> /dev/null; then
  # A signal meant for the demo (e.g. to its process group) may reach the broker first.
  if tail -n 1 "$data/broker.log" | grep -q 'stopping on signal'; then
    say "The broker was stopped by a signal; stopping the simulator too."
    exit 0
  fi
  tail -n 20 "$data/broker.log" >&2
  die "the broker stopped unexpectedly; its log is above"
fi
die "the simulator stopped unexpectedly; see $data/sim.log"
