#!/usr/bin/env bash
# The scale study on one GPU, in one command (see bench/GPU.md, "The scale study on a GPU"):
#
#   bash bench/scale/gpu_scale.sh [--root DIR] [STUDY OPTIONS ...]
#
# Installs the wheels of bench/wheels/ and the project as bench/gpu_check.sh does, then runs
# bench/scale/study.py at the largest corpora the machine carries (the embedded text whole,
# about 790k words, close to LibriSpeech train-clean-100's ~1M; fortunes as far as they go),
# s = 1..4, e2e and two-stage on characters, 3 seeds, train's default epochs (--epochs N after
# --root for more), comparing at equal wall time
# (--clock elapsed_s: CPU time does not measure GPU work).  Resumable: run it again after an
# interruption and the finished points are kept.  Options after --root go to study.py and
# replace the defaults below where they repeat one (argparse keeps the last).
set -uo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
root=${OUT:-bench/out}/scale
if [ "${1:-}" = --root ]; then root=$2; shift 2; fi
mkdir -p "$root"
if [ "${SKIP_INSTALL:-0}" = 0 ]; then
    {
        if ls bench/wheels/*.whl >/dev/null 2>&1; then
            $PY -m pip install --no-index --find-links bench/wheels -r bench/gpu_wheels.txt \
                || $PY -m pip install --no-index --no-deps bench/wheels/*.whl \
                || echo "WARNING: the wheels of bench/wheels did not install"
        fi
        $PY -m pip install --no-index --no-deps --no-build-isolation -e . \
            || echo "WARNING: pip install -e . failed; using PYTHONPATH=$PWD"
    } >"$root/install.log" 2>&1
fi
exec "$PY" bench/scale/study.py --root "$root" --spokenw2v "$PY -m spokenw2v" \
    --genres kjv fortunes --words 100000 300000 790000 --scales 1 2 3 4 --kinds e2e two-stage \
    --seeds 0 1 2 --clock elapsed_s --budget 1800 "$@"
