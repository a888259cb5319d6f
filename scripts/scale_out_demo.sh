#!/usr/bin/env bash
# Bring up the production shape on one host (throwaway PostgreSQL, a separate Redis on
# 127.0.0.1, gunicorn web, two workers, one scheduler), run one pulse through it, print
# throughput with two workers and with one, then stop and remove everything.
#   DEMO_SUBMISSIONS=200 DEMO_CLIENTS=8 scripts/scale_out_demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "run 'make install' first" >&2; exit 1; }
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" scripts/scale_out_demo.py
