#!/usr/bin/env bash
# Installs beliefbook with its test tools, then runs the test suite. Extra arguments go
# to pytest, e.g. `bash scripts/test.sh tests/market -x`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
exec .venv/bin/python -m pytest "$@"
