#!/usr/bin/env bash
# audit_instructions.sh BUILD_DIR [UNITS] [DAYS] [RESULTS.jsonl]: the audit's cost per frame as
# instructions, which (unlike seconds) do not depend on what else the machine runs (issue 16,
# part 5). Writes an archive with audit_bench (UNITS units, default 200, every 15 minutes for
# DAYS days, default 1), then counts with valgrind's callgrind, each in its own process:
#   audit   one serial audit of it, inside auditArchive()
#   nosig   the same without the signatures (--since past the last frame)
#   raw     RAW verifies of one of its reports, inside rawVerifies()
# and prints instructions per frame and the ratio raw / audit (≥ 0.9 is the target for
# the audit's rate against the raw verify rate). Appends {"bench": "audit_instructions", ...} to
# RESULTS when given. AUDIT_BATCHED=1: the reports stored from signed batches (one a round per
# provider, 5 reports each); AUDIT_RAW_VERIFIES=2000. Takes a few minutes (callgrind runs ~50x slower).
set -euo pipefail

BUILD=${1:-build}
UNITS=${2:-200}
DAYS=${3:-1}
RESULTS=${4:-}
RAW=${AUDIT_RAW_VERIFIES:-2000}
BATCHED=${AUDIT_BATCHED:-0}  # 1: the reports stored from signed batches of 5 (issue 16)
BENCH="$BUILD/bench/audit_bench"
[ -x "$BENCH" ] || { echo "audit_instructions.sh: $BENCH is missing; build audit_bench first" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "audit_instructions.sh: needs valgrind (apt install valgrind)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/samband-audit-ir.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

"$BENCH" --work "$work" --units "$UNITS" --days "$DAYS" --batched "$BATCHED" --only write
# Instructions callgrind counted inside FUNCTION while running audit_bench with ARGS.
count() {
  local name=$1 function=$2
  shift 2
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect="$function" \
    --callgrind-out-file="$work/$name.cg" "$BENCH" --work "$work" "$@" >"$work/$name.out" 2>"$work/$name.err" ||
    { cat "$work/$name.err" >&2; exit 1; }
  awk '/^(summary|totals):/ { print $2; exit }' "$work/$name.cg"
}
audit=$(count audit '*auditArchive*' --only audit)
frames=$(awk '/audited frames/ { print $3 }' "$work/audit.out")
nosig=$(count nosig '*auditArchive*' --only nosig)
raw=$(count raw '*rawVerifies*' --only raw --raw-count "$RAW")
awk -v a="$audit" -v n="$nosig" -v r="$raw" -v f="$frames" -v c="$RAW" -v units="$UNITS" \
  -v days="$DAYS" -v batched="$BATCHED" -v out="$RESULTS" 'BEGIN {
  ap = a / f; np = n / f; rp = r / c
  printf "archive: %d frames (%d units, %d days, batched %d)\n", f, units, days, batched
  printf "raw verify: %.0f instructions per verify (%d verifies)\n", rp, c
  printf "audit (serial): %.0f instructions per frame; without signatures %.0f\n", ap, np
  printf "instruction ratio raw / audit: %.3f (target >= 0.9)\n", rp / ap
  if (out != "") {
    printf "{\"bench\": \"audit_instructions\", \"units\": %d, \"days\": %d, \"batched\": %d, \"frames\": %d, " \
           "\"raw_ir_per_verify\": %.0f, \"audit_ir_per_frame\": %.0f, " \
           "\"no_signatures_ir_per_frame\": %.0f, \"ir_ratio\": %.4f}\n",
           units, days, batched, f, rp, ap, np, rp / ap >> out
  }
}'
