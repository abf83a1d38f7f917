#!/usr/bin/env bash
# Opens the client. On a machine with no display (a server, a container), it runs under Xvfb
# and saves a screenshot instead, so `make run` still shows what the window looks like.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/estafette "$@"
fi
out=${ESTAFETTE_SCREENSHOT:-.sandbox/screenshot.png}
echo "No display here: running the client under Xvfb; a screenshot will be saved to $out"
exec bash packaging/dev/screenshot.sh "$out" "$@"
