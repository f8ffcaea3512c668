#!/usr/bin/env bash
# Noise sweep: how much do clustering and segmentation errors hurt?  (Paper, section 5.)
#
#   1. Text (the paper's experiment): a text model trained on the clean corpus is the
#      reference; text models trained on corpora with 0-40% of the tokens substituted
#      (clustering errors) are scored against it: metric A falls as the rate rises.
#   2. Word segments of speech (beyond the paper): the first utterances are synthesized
#      (exact word segments); segment-noise splits words at 0-40%, and an oracle model
#      (SGNS over the gold word label of each noisy segment) isolates what segmentation
#      errors alone do.  Its reference is the text model of the same transcript.
#   Both end in one table (OUT_DIR/sweep.tsv) and one plot (OUT_DIR/sweep.png).
#
# Usage:  examples/noise_sweep.sh CORPUS.txt OUT_DIR
#   CORPUS.txt  a text corpus, one utterance per line, e.g. the King James Bible:
#                 bible -f Ge1:1-Re22:21 | sed 's/^[^ ]* //' > kjv.txt
#   OUT_DIR     created; every intermediate file stays there.
# Environment:
#   TINY=1          a smoke test on a few hundred lines (used by the test suite)
#   SEED=0          seed of the noise and of the reference models (the swept models use SEED+1,
#                   so the 0% point shows how far two clean trainings differ)
#   SEG_OP=split    the segmentation error to sweep: split, merge, delete or insert
#   SPEECH_LINES    utterances to synthesize (default 1000; TINY: 12)
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 CORPUS.txt OUT_DIR" >&2
  exit 2
fi
corpus=$1
out=$2
seed=${SEED:-0}
seg_op=${SEG_OP:-split}

if [ "${TINY:-0}" = 1 ]; then
  text_lines=400; speech_lines=${SPEECH_LINES:-12}; rates=0,0.4
  eval_opts=(--bootstrap 0 --n-test 30 --no-benchmarks)
  train_opts=(--epochs 1 --min-count 1)
else
  text_lines=0; speech_lines=${SPEECH_LINES:-1000}; rates=0,0.1,0.2,0.3,0.4
  eval_opts=(--bootstrap 200 --no-benchmarks)
  train_opts=(--epochs 5)
fi

mkdir -p "$out"
if [ "$text_lines" -gt 0 ]; then
  head -n "$text_lines" "$corpus" > "$out/corpus.txt"
else
  cp "$corpus" "$out/corpus.txt"
fi

# --- 1. clustering noise on text ------------------------------------------------------
spokenw2v text-noise "$out/corpus.txt" --out "$out/text" --substitute "$rates" --seed "$seed" \
  --report "$out/text-noise.json"
spokenw2v train text --corpus "$out/text/substitute-0.00.txt" --out "$out/runs/text-reference" \
  --seed "$seed" "${train_opts[@]}"
for noisy in "$out"/text/substitute-*.txt; do
  spokenw2v train text --corpus "$noisy" --out "$out/runs/text/$(basename "$noisy" .txt)" \
    --seed $((seed + 1)) "${train_opts[@]}"
done
spokenw2v evaluate "$out"/runs/text/*/vectors.vec --reference "$out/runs/text-reference/vectors.vec" \
  --corpus "$out/text/substitute-0.00.txt" --seed "$seed" --tsv "$out/eval-text.tsv" "${eval_opts[@]}"

# --- 2. segmentation noise on word segments of speech ----------------------------------
head -n "$speech_lines" "$out/corpus.txt" > "$out/speech-corpus.txt"
spokenw2v synthesize "$out/speech-corpus.txt" --out "$out/speech" --seed "$seed"
spokenw2v segment-noise "$out/speech/segments.tsv" --out "$out/segments" --durations "$out/speech/audio.tsv" \
  --"$seg_op" "$rates" --seed "$seed" --report "$out/segment-noise.json"
spokenw2v train text --corpus "$out/speech/corpus.txt" --out "$out/runs/speech-reference" \
  --seed "$seed" "${train_opts[@]}"
for noisy in "$out"/segments/"$seg_op"-*.tsv; do
  spokenw2v train oracle --segments "$noisy" --out "$out/runs/segments/$(basename "$noisy" .tsv)" \
    --seed $((seed + 1)) "${train_opts[@]}"
done
spokenw2v evaluate "$out"/runs/segments/*/vectors.vec --reference "$out/runs/speech-reference/vectors.vec" \
  --corpus "$out/speech/corpus.txt" --seed "$seed" --tsv "$out/eval-segments.tsv" "${eval_opts[@]}"

# --- 3. one table, one plot -------------------------------------------------------------
# Model names are the sweep file names (OPTION-VALUE); the noise reports add what the
# noise did (realised rate, boundary F1 against the clean segments).
python3 - "$out" <<'EOF'
import csv, json, sys
from pathlib import Path

out = Path(sys.argv[1])
reports = {Path(r["output"]).stem: r for name in ("text-noise.json", "segment-noise.json")
           for r in json.loads((out / name).read_text())["runs"]}
columns = ["noise", "rate", "A", "A_low", "A_high", "B", "coverage", "realised", "boundary_f1", "token_f1"]
rows = []
for table, kind in (("eval-text.tsv", "text"), ("eval-segments.tsv", "oracle")):
    with open(out / table, newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row.get("row", "model") != "model":  # the null rows: floors, not points of the sweep
                continue
            op, _, rate = row["model"].rpartition("-")
            rep = reports[row["model"]]
            rows.append({"noise": f"{op} ({kind})", "rate": rate,
                         **{c: row.get(c, "") for c in ("A", "A_low", "A_high", "B", "coverage")},
                         "realised": f"{rep['realised_' + op]:.4f}",
                         "boundary_f1": f"{rep['boundary_f1']:.4f}" if "boundary_f1" in rep else "",
                         "token_f1": f"{rep['token_f1']:.4f}" if "token_f1" in rep else ""})
with open(out / "sweep.tsv", "w", newline="") as fh:
    fh.write("\t".join(columns) + "\n")
    for r in rows:
        fh.write("\t".join(str(r[c]) for c in columns) + "\n")
EOF
spokenw2v plot sweep "$out/sweep.tsv" --out "$out/sweep.png" --x rate --y A --group noise \
  --title "Metric A against noise rate"
column -t -s $'\t' "$out/sweep.tsv" >&2 || cat "$out/sweep.tsv" >&2
echo "noise_sweep.sh: wrote $out/sweep.tsv and $out/sweep.png" >&2
