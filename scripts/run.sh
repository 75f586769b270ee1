#!/usr/bin/env bash
# Installs beliefbook, then runs `beliefbook run` (the built-in questions and lineup by
# default). Extra arguments go to `beliefbook run`, e.g. `bash scripts/run.sh --count 1`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/beliefbook run "$@"
