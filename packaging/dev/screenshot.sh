#!/usr/bin/env bash
# Screenshot of the real window under Xvfb (xcb platform, not offscreen):
#   packaging/dev/screenshot.sh [ESTAFETTE GLOBAL ARGS...] OUT.png
# e.g. packaging/dev/screenshot.sh --profile /tmp/p --key-file /tmp/p.key docs/screenshots/main-window.png
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 [--profile DIR --key-file F --lang fr|en] OUT.png" >&2; exit 2; }
out=${!#}
args=("${@:1:$#-1}")
root=$(cd "$(dirname "$0")/../.." && pwd)
export OUT="$(realpath -m "$out")" ROOT="$root"
export ESTAFETTE_ARGS="${args[*]}"
exec xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  set -euo pipefail
  export QT_QPA_PLATFORM=xcb
  cd "$ROOT"; .venv/bin/python -m ui.launcher $ESTAFETTE_ARGS gui & pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  # Wait for the window to be mapped (title starts with Estafette), at most ~20 s.
  for _ in $(seq 1 80); do
    xwininfo -root -tree 2>/dev/null | grep -q "\"Estafette" && break
    kill -0 $pid 2>/dev/null || { echo "screenshot: the client exited early" >&2; exit 1; }
    sleep 0.25
  done
  sleep 1  # let the first paint finish
  import -window root "$OUT"
'
