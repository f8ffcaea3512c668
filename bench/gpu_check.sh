#!/usr/bin/env bash
# The GPU check in one command, on a fresh GPU machine with no network (see bench/GPU.md):
#
#   bash bench/gpu_check.sh [--out DIR] [--steps a,b] [--dry-run]   # install, then all checks (<= 8 min)
#   bash bench/gpu_check.sh scale [--minutes 5] [--data DIR]        # install, then the science run at scale
#
# Installs the wheels copied into bench/wheels/ (bench/fetch_wheels.sh fetches them) and the
# project itself (no dependencies, no index), then runs bench/gpu_check.py.  Results go to
# --out, else $OUT, else bench/out/gpu-check.  --dry-run (tiny sizes on the CPU) skips the install.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
mode=check
if [ "${1:-}" = scale ] || [ "${1:-}" = check ]; then mode=$1; shift; fi
out=${OUT:-bench/out/gpu-check}
dry=0
prev=
for a in "$@"; do
    [ "$prev" = --out ] && out=$a
    [ "$a" = --dry-run ] && dry=1
    prev=$a
done
mkdir -p "$out"
log="$out/install.log"
if [ "$dry" = 0 ]; then
    {
        echo "python: $($PY -V 2>&1)"
        if ls bench/wheels/*.whl >/dev/null 2>&1; then
            # resolve against what the machine has; wheels only for what it lacks
            $PY -m pip install --no-index --find-links bench/wheels -r bench/gpu_wheels.txt \
                || $PY -m pip install --no-index --no-deps bench/wheels/*.whl \
                || echo "WARNING: the wheels of bench/wheels did not install (see above)"
        else
            echo "WARNING: no wheels in bench/wheels (bash bench/fetch_wheels.sh fetches them)"
        fi
        # the project itself; PYTHONPATH above makes the checkout importable even if this fails
        $PY -m pip install --no-index --no-deps --no-build-isolation -e . \
            || echo "WARNING: pip install -e . failed; using PYTHONPATH=$PWD"
    } >"$log" 2>&1
    echo "install: $(grep -c -i '^successfully installed' "$log") pip install(s) succeeded; log in $log"
    grep -i 'WARNING:' "$log" | grep -v -i 'running pip as' || true
fi
exec "$PY" bench/gpu_check.py "$mode" "$@"
