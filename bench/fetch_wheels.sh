#!/usr/bin/env bash
# Download the wheels of bench/gpu_wheels.txt into bench/wheels/ for the GPU machine's Python.
#
#   bash bench/fetch_wheels.sh [PYTHON_VERSION]     # default 3.12 (the GPU image's python3 is 3.12)
#
# Binary wheels only, manylinux x86_64, no dependency resolution (every wheel needed is listed in
# bench/gpu_wheels.txt).  bench/wheels/ is ignored by git: the wheels travel with the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${1:-3.12}"
if ! [[ "$PY" =~ ^3\.[0-9]+$ ]]; then
    echo "Error: PYTHON_VERSION must look like 3.12, not '$PY'" >&2
    exit 1
fi
DEST=bench/wheels
mkdir -p "$DEST"
# pip matches manylinux_2_N tags exactly: name the common ones
platforms=()
for tag in manylinux_2_39 manylinux_2_35 manylinux_2_34 manylinux_2_31 manylinux_2_28 manylinux_2_27 \
           manylinux_2_24 manylinux_2_17 manylinux2014 manylinux1; do
    platforms+=(--platform "${tag}_x86_64")
done
python3 -m pip download --quiet --no-deps --only-binary=:all: --implementation cp --python-version "$PY" \
    "${platforms[@]}" --dest "$DEST" -r bench/gpu_wheels.txt
# a wheel for another Python than asked (a leftover of an earlier run) would break the install
tag="cp${PY/./}"
stale=$(ls "$DEST"/*.whl | grep -E -- '-cp3[0-9]+-' | grep -v -- "-$tag-" || true)
if [ -n "$stale" ]; then
    echo "Error: $DEST holds wheels for another Python than $PY; remove them:" >&2
    echo "$stale" >&2
    exit 1
fi
echo "wheels for Python $PY in $DEST ($(du -sh "$DEST" | cut -f1)):"
ls -1 "$DEST"
