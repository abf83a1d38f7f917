#!/usr/bin/env bash
# Opens the client: run-gui.sh [ESTAFETTE GLOBAL ARGS...]. On a machine with no display (a server,
# a container), it runs the real window under Xvfb and saves a screenshot instead, so `make run`
# still shows what the window looks like.
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
  exec .venv/bin/python -m ui.launcher "$@" gui
fi
out=${ESTAFETTE_SCREENSHOT:-.sandbox/screenshot.png}
echo "No display here: running the client under Xvfb; screenshot saved to $out"
exec bash packaging/dev/screenshot.sh "$@" "$out"
