#!/usr/bin/env bash
# The unit ladder: where does learning meaning from word-unit sequences break down?
#
# The same words (the demo text, synthesized by espeak-ng) given to the same models as ever
# less consistent unit sequences, one rung at a time:
#   letters          the characters of each word (one sequence per word type)
#   phonemes         espeak-ng's phonemes of each token (synthesize's phonemes.tsv)
#   letters-sub-R    letters with a fraction R of the symbols substituted per token (unit-noise)
#   phonemes-sub-R   phonemes likewise
#   mfcc-one         MFCC k-means units (k = 100) of one synthesized voice (en-us, 170 wpm)
#   mfcc-voices      the same of the text spoken in 24 voice settings (2 voices x 4 variants
#                    x 3 rates), the demo's harder rung
# Every rung is trained with `train KIND --word-units RUNG.tsv` for the same fixed budget of
# epochs and scored against the text model of the transcript on one test set.  Results:
#   OUT_DIR/ladder.tsv   rung, kind, seeds, distinct sequences per word type, symbols per token,
#                        A, A_partial, B (mean over seeds) and their sd
#   OUT_DIR/ladder.png   A and A_partial of each rung against its distinct sequences per type
#
# Usage:  examples/unit_ladder.sh OUT_DIR
# Environment:
#   TINY=1         a smoke test: 600 words, 1 epoch, rates 0.2 (used by the test suite)
#   WORDS=30000    words of the demo text
#   EPOCHS=30      the fixed budget of every model (two-stage also gets AE_EPOCHS=5)
#   SEEDS="0"      training seeds (e.g. "0 1 2"); the test set always uses seed 0
#   KINDS="e2e two-stage"
#   RATES=0.1,0.2,0.4   substitution rates of the edited letters and phonemes
#   VOICES=1       0 leaves out the mfcc-voices rung (its synthesis takes the longest)
#   DEVICE=auto
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
out=$1
if [ "${TINY:-0}" = 1 ]; then
  words=${WORDS:-600}; epochs=${EPOCHS:-1}; rates=${RATES:-0.2}; k=16
  train_opts=(--batch-tokens 128 --negatives 10)
  eval_opts=(--bootstrap 0 --n-test 30 --no-benchmarks)
  text_opts=(--min-count 1)
else
  words=${WORDS:-30000}; epochs=${EPOCHS:-30}; rates=${RATES:-0.1,0.2,0.4}; k=100
  train_opts=()
  eval_opts=(--bootstrap 200 --no-benchmarks)
  text_opts=()
fi
seeds=${SEEDS:-0}
kinds=${KINDS:-e2e two-stage}
device=${DEVICE:-auto}
voices=${VOICES:-1}
mkdir -p "$out/rungs" "$out/runs"

# --- the speech and its units ----------------------------------------------------------------
python3 -c "from spokenw2v.corpus import demo_corpus; print(chr(10).join(demo_corpus($words)))" > "$out/text.txt"
mfcc() {  # NAME VOICES VARIANTS RATES: synthesize, MFCC, k-means units of the words, word-units
  local name=$1
  spokenw2v synthesize "$out/text.txt" --out "$out/speech-$name" --voices "$2" --variants "$3" --rates "$4" \
    --seed 0 --quiet
  spokenw2v featurize "$out/speech-$name/audio.tsv" --out "$out/mfcc-$name" --feature mfcc \
    --segments "$out/speech-$name/segments.tsv" --device cpu --quiet
  spokenw2v discretize "$out/mfcc-$name" --out "$out/units-$name.npz" --codebook "$out/codebook-$name.npz" \
    --k "$k" --segments "$out/speech-$name/segments.tsv" --in-words --seed 0 --device cpu --quiet
  spokenw2v word-units "$out/units-$name.npz" "$out/speech-$name/segments.tsv" --out "$out/rungs/mfcc-$name.tsv" \
    --quiet
}
mfcc one en-us '' 170
if [ "$voices" = 1 ]; then
  mfcc voices en-us,en-gb m1,m3,f1,f3 140,170,200
fi
cp "$out/speech-one/phonemes.tsv" "$out/rungs/phonemes.tsv"
# letters: the word-units layout with each character of the word as a symbol
awk -F'\t' 'BEGIN { OFS = "\t" } NR == 1 { print; next }
  { n = split($4, c, ""); s = c[1]; for (i = 2; i <= n; i++) s = s " " c[i]; $5 = s; print }' \
  "$out/rungs/phonemes.tsv" > "$out/rungs/letters.tsv"
for base in letters phonemes; do
  # rate 0 too: a sweep of several values writes a directory (and 0 must give the input back)
  spokenw2v unit-noise "$out/rungs/$base.tsv" --out "$out/edits-$base" --substitute "0,$rates" --seed 0 \
    --report "$out/edits-$base.json" --quiet
  cmp -s <(tail -n +2 "$out/rungs/$base.tsv") <(tail -n +2 "$out/edits-$base/substitute-0.00.tsv")
  for f in "$out/edits-$base"/substitute-*.tsv; do
    rate=$(basename "$f" .tsv); rate=${rate#substitute-}
    if [ "$rate" != 0.00 ]; then cp "$f" "$out/rungs/$base-sub-$rate.tsv"; fi
  done
done

# --- the reference and the models ------------------------------------------------------------
ref=$out/runs/text/vectors.vec
spokenw2v train text --corpus "$out/speech-one/corpus.txt" --out "$out/runs/text" --seed 0 "${text_opts[@]}" --quiet
rungs=(letters phonemes)
for f in "$out"/rungs/letters-sub-*.tsv "$out"/rungs/phonemes-sub-*.tsv; do
  rungs+=("$(basename "$f" .tsv)")
done
rungs+=(mfcc-one)
if [ "$voices" = 1 ]; then rungs+=(mfcc-voices); fi
models=()
for rung in "${rungs[@]}"; do
  for kind in $kinds; do
    for seed in $seeds; do
      run=$out/runs/$kind-$rung.seed$seed
      if [ ! -f "$run/vectors.vec" ]; then
        extra=()
        if [ "$kind" = two-stage ]; then extra=(--ae-epochs "${AE_EPOCHS:-5}"); fi
        spokenw2v train "$kind" --word-units "$out/rungs/$rung.tsv" --out "$run" --reference "$ref" \
          --epochs "$epochs" --seed "$seed" --device "$device" "${extra[@]}" "${train_opts[@]}" --quiet
      fi
      models+=("$run/vectors.vec")
    done
  done
done

# --- one test set, one table, one figure ------------------------------------------------------
spokenw2v evaluate "${models[@]}" --reference "$ref" --corpus "$out/speech-one/corpus.txt" --seed 0 \
  "${eval_opts[@]}" --tsv "$out/evaluate.tsv" > "$out/evaluate.txt"
python3 - "$out" "$epochs" "$seeds" "$kinds" "${rungs[@]}" <<'EOF'
import math, statistics, sys
from pathlib import Path

from spokenw2v.io import read_tsv, read_word_units, write_tsv
from spokenw2v.noise import sequences_per_type

out, epochs, seeds, kinds, rungs = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(), sys.argv[4].split(), sys.argv[5:]
_, rows = read_tsv(out / "evaluate.tsv", ["model", "A", "A_partial", "B"])
scores = {r["model"]: r for _, r in rows if r.get("row", "model") == "model"}
nulls = {r["model"]: r for _, r in rows if r.get("row") == "null"}
table = []
for rung in rungs:
    wu = read_word_units(out / "rungs" / f"{rung}.tsv")
    spt = sequences_per_type(wu.sequences, wu.seg.word)
    per_token = sum(len(q) for q in wu.sequences) / len(wu.sequences)
    for kind in kinds:
        found = [scores[f"{kind}-{rung}.seed{s}"] for s in seeds]
        row = [rung, kind, len(found), f"{spt:.2f}", f"{per_token:.2f}"]
        for key in ("A", "A_partial", "B"):
            values = [float(f[key]) for f in found]
            row += [f"{statistics.fmean(values):.3f}",
                    f"{statistics.stdev(values):.3f}" if len(values) > 1 else ""]
        table.append(row)
for name, r in nulls.items():
    table.append([name, "null", "", "", "", f"{float(r['A']):.3f}", "", f"{float(r['A_partial']):.3f}", "",
                  f"{float(r['B']):.3f}", ""])
write_tsv(out / "ladder.tsv", ["rung", "kind", "seeds", "sequences_per_type", "symbols_per_token", "A", "A_sd",
                               "A_partial", "A_partial_sd", "B", "B_sd"], table)

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(7.5, 4.5))
for kind, marker in zip(kinds, "os"):
    pts = [(float(r[3]), float(r[5]), float(r[7]), r[0]) for r in table if r[1] == kind]
    ax.scatter([p[0] for p in pts], [p[1] for p in pts], marker=marker, label=f"{kind}: A")
    ax.scatter([p[0] for p in pts], [p[2] for p in pts], marker=marker, facecolors="none", edgecolors="k",
               label=f"{kind}: A_partial")
    if kind == kinds[0]:
        for x, y, _, name in pts:
            ax.annotate(name, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
for name, r in nulls.items():
    ax.axhline(float(r["A"]), lw=0.6, ls=":", color="grey")
ax.set_xscale("log")
ax.set_xlabel("distinct symbol sequences per word type (log)")
ax.set_ylabel("metric A (test split)")
ax.set_title(f"Unit ladder: {epochs} epochs per model, seeds {' '.join(seeds)} (dotted: null rows)")
ax.legend(fontsize=7)
fig.tight_layout()
fig.savefig(out / "ladder.png", dpi=120)
print((out / "ladder.tsv").read_text(), end="")
EOF
