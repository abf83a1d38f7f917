#!/usr/bin/env bash
# The whole test suite, as CI runs it: static checks, then pytest (unit, corpus, integration
# against the real sandbox servers, UI offscreen). Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
export QT_QPA_PLATFORM=offscreen
export PYTHONDONTWRITEBYTECODE=1
rc=0
echo "== ruff"; .venv/bin/ruff check app ui tests || rc=1
echo "== mypy (app/, strict)"; .venv/bin/mypy || rc=1
echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
prc=$?
# pytest's 5 means no test ran: that is a failure here too.
[ $prc -eq 0 ] || rc=$prc
exit $rc
