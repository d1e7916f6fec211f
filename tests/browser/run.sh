#!/bin/sh
# Runs a real-browser test with node: board.spec.mjs (the default) or the spec named as the first
# argument (form.spec.mjs). Exit 77 (CTest: skipped) only when node or chromium is not installed;
# `make test` installs both and runs npm ci here.
here=$(dirname "$0")
spec=${1:-board.spec.mjs}
name=$(basename "$spec" .spec.mjs)_browser
if ! command -v node >/dev/null 2>&1; then
  echo "$name skipped: node is not installed; run 'make test' or 'apt-get install nodejs npm'" >&2
  exit 77
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "$name skipped: ${CHROMIUM:-/usr/bin/chromium} is not installed; run 'make test' or 'apt-get install chromium'" >&2
  exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "$name: playwright-core is missing; run 'npm ci' in tests/browser (make test does it)" >&2
  exit 1
fi
exec node "$here/$spec"
