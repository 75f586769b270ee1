#!/usr/bin/env bash
# Installs beliefbook into ./.venv (created if missing). Safe to run again: each step is
# skipped when what it installs is already there.
#   bash scripts/install.sh          the package and its runtime dependencies
#   bash scripts/install.sh --test   also the test tools and the system packages tests use
set -euo pipefail

cd "$(dirname "$0")/.."
with_tests=0
if [[ "${1:-}" == "--test" ]]; then
  with_tests=1
fi

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: beliefbook needs Python 3.11 or newer; $("$python" --version) found. Set PYTHON=/path/to/python3.11." >&2
  exit 1
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "Creating the virtual environment in .venv"
  "$python" -m venv .venv
fi
pip=(.venv/bin/python -m pip --disable-pip-version-check -q)

# The project itself, re-installed only when pyproject.toml changes.
extras=""
if [[ $with_tests -eq 1 ]]; then
  extras="[test]"
fi
stamp=".venv/.beliefbook-installed$extras"
if [[ ! -f "$stamp" ]] || ! cmp -s pyproject.toml "$stamp"; then
  echo "Installing beliefbook$extras and its dependencies"
  "${pip[@]}" install -e ".$extras"
  cp pyproject.toml "$stamp"
fi
