#!/usr/bin/env bash
# Fingerprint spokenw2v's user-visible behaviour, to show that a change of structure changed
# nothing a user sees: every command's --help, the README's LibriSpeech chain, the noise
# commands, discovery and label-free training, and a small demo (its table and record).
#
#   bash tools/behaviour_snapshot.sh OUT            # writes OUT/manifest.sha256 and the files
#   diff before/manifest.sha256 after/manifest.sha256
#
# Run it before and after a change, with the same spokenw2v on PATH. Files whose content
# depends on the clock (logs, timings, CPU seconds) are left out or have those columns cut;
# everything else is hashed as written. Takes about 5 minutes on 2 cores.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: bash tools/behaviour_snapshot.sh OUT" >&2
    exit 2
fi
out=$1
if [[ -e $out ]]; then
    echo "Error: $out exists; give a new directory" >&2
    exit 1
fi
root=$(cd "$(dirname "$0")/.." && pwd)
A=$root/examples/data/librispeech-sample
mkdir -p "$out/help" "$out/chain" "$out/noise" "$out/textless"
out=$(cd "$out" && pwd)
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1 COLUMNS=100 NO_COLOR=1

# Every command's and subcommand's --help.
spokenw2v --help > "$out/help/spokenw2v.txt"
commands=$(spokenw2v --help | sed -n '/Commands/,$p' | grep -oE '^│ [a-z][a-z0-9-]+' | cut -c5-)
for c in $commands; do
    spokenw2v "$c" --help > "$out/help/$c.txt"
    for sub in $(sed -n '/Commands/,$p' "$out/help/$c.txt" | grep -oE '^│ [a-z][a-z0-9-]+' | cut -c5-); do
        spokenw2v "$c" "$sub" --help > "$out/help/$c-$sub.txt"
    done
done

# The README's chain on real speech, and the stages that follow it.
cd "$out/chain"
spokenw2v segments "$A/alignments" --out segs.tsv 2> segments.err
spokenw2v featurize "$A/dev-clean" --segments segs.tsv --feature mfcc --out mfcc.npz -q
spokenw2v discretize mfcc.npz --k 50 --segments segs.tsv --in-words --out units.npz --codebook codebook.npz -q
spokenw2v word-units units.npz segs.tsv --out word-units.tsv --report word-units.json 2> word-units.err
spokenw2v train text --segments segs.tsv --min-count 1 --out runs/text -q
spokenw2v train e2e --segments segs.tsv --units units.npz --min-count 1 --epochs 3 --out runs/e2e \
    --reference runs/text/vectors.vec -q
spokenw2v train two-stage --segments segs.tsv --units units.npz --min-count 1 --epochs 2 --ae-epochs 2 \
    --out runs/two-stage --reference runs/text/vectors.vec -q
spokenw2v train e2e --segments segs.tsv --units units.npz --min-count 1 --epochs 2 --types sequences \
    --out runs/e2e-sequences -q
spokenw2v evaluate runs/e2e/vectors.vec runs/two-stage/vectors.vec --reference runs/text/vectors.vec \
    --corpus segs.tsv --split all --tsv results.tsv --json results.json > evaluate.txt
spokenw2v discover mfcc.npz --out found.tsv --gold segs.tsv --seed 0 -q > discover.txt 2>&1
spokenw2v label-segments found.tsv --gold segs.tsv --out found-labelled.tsv --report label-segments.json > label-segments.txt 2>&1
spokenw2v train e2e --segments found.tsv --units units.npz --min-count 1 --epochs 2 --types clusters \
    --token-vectors found-tokens.npz --out runs/e2e-found -q
spokenw2v label-vectors found-tokens.npz --gold segs.tsv --out found-labelled.vec -q

# The noise commands (sweeps and single runs).
cd "$out/noise"
cut -f4 ../chain/segs.tsv | tail -n +2 | paste -sd' ' > corpus.txt
spokenw2v segment-noise ../chain/segs.tsv --jitter 0.02 --split 0.1 --seed 1 --out jittered.tsv \
    --report segment-noise.json > segment-noise.txt 2>&1
spokenw2v segment-noise ../chain/segs.tsv --merge 0,0.2 --seed 1 --out seg-sweep --report seg-sweep.json > segment-sweep.txt 2>&1
spokenw2v text-noise corpus.txt --substitute 0.2 --seed 1 --out subst.txt --report text-noise.json > text-noise.txt 2>&1
spokenw2v text-noise corpus.txt --substitute 0,0.1,0.3 --seed 1 --out text-sweep --report text-sweep.json > text-sweep.txt 2>&1
spokenw2v unit-noise ../chain/word-units.tsv --substitute 0.1 --seed 1 --out unit-noisy.tsv --report unit-noise.json > unit-noise.txt 2>&1
spokenw2v unit-noise ../chain/word-units.tsv --substitute 0,0.2 --delete 0.1 --seed 1 --out unit-sweep > unit-sweep.txt 2>&1

# A small demo with every rung (its table is printed on stdout).
cd "$out"
spokenw2v demo demo --words 600 --char-epochs 1 --unit-epochs 1 --voices-epochs 1 --textless-epochs 1 \
    --ae-epochs 1 --k 16 -q > demo-table.txt

# Hash everything but what depends on the clock or on where OUT lies: timing columns are cut,
# OUT's absolute path is written as OUT, a stage's .done file keeps its command line only.
cd "$out"
find . -type f ! -name manifest.sha256 | LC_ALL=C sort | python3 -c '
import csv, hashlib, io, sys
out = sys.argv[1]
clock = {"cpu_s", "seconds", "wall_s", "time", "elapsed_s", "examples_per_s"}
for name in sys.stdin.read().splitlines():
    if name.endswith((".log", "/log.txt", ".pt", "/train.json", "/demo.json", "/synthesis.json")):
        continue
    data = open(name, "rb").read()
    if name.endswith("metrics.tsv"):
        rows = list(csv.reader(io.StringIO(data.decode()), delimiter="\t"))
        keep = [i for i, col in enumerate(rows[0]) if col not in clock]
        data = "".join("\t".join(r[i] for i in keep) + "\n" for r in rows).encode()
    elif name.endswith(".done"):
        data = data.splitlines(keepends=True)[0]
    data = data.replace(out.encode(), b"OUT")
    print(hashlib.sha256(data).hexdigest(), name)
' "$out" > manifest.sha256
echo "wrote $out/manifest.sha256 ($(wc -l < manifest.sha256) files)"
