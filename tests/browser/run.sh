#!/bin/sh
# Runs the real-browser test of the board (board.spec.mjs) with node. Exit 77 (CTest: skipped)
# only when node or chromium is not installed; `make test` installs both and runs npm ci here.
here=$(dirname "$0")
if ! command -v node >/dev/null 2>&1; then
  echo "board_browser skipped: node is not installed; run 'make test' or 'apt-get install nodejs npm'" >&2
  exit 77
fi
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  echo "board_browser skipped: ${CHROMIUM:-/usr/bin/chromium} is not installed; run 'make test' or 'apt-get install chromium'" >&2
  exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
  echo "board_browser: playwright-core is missing; run 'npm ci' in tests/browser (make test does it)" >&2
  exit 1
fi
exec node "$here/board.spec.mjs"
