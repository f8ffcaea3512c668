#!/usr/bin/env bash
# Character-level two-stage versus end-to-end models at scales s = 1..4 (paper, section 4.1).
#
# On a text corpus every word token is its character sequence, so this is the paper's
# controlled experiment without any speech: the two-stage model (a frozen character
# auto-encoder, then skipgram on top) stays orthographic -- its distances follow edit
# distance, metric B stays far above metric A -- while the end-to-end model starts
# orthographic and moves towards the text model over its epochs (A rises, B falls).
#
#   1. the text reference: gensim skipgram on the words (`spokenw2v train text`);
#   2. for every scale s and both kinds, a character model that logs metrics A and B
#      against the reference after every epoch (RUN/metrics.tsv, epoch 0 = before training);
#   3. one evaluation table of all models (stdout, OUT_DIR/eval.tsv, eval.json, eval.txt)
#      and one figure of all training curves (OUT_DIR/curves.png).
#
# Usage:  examples/char_scale.sh [CORPUS.txt|demo] OUT_DIR
#   CORPUS.txt  a text corpus, one utterance per line (tokenized by spokenw2v: lower-case,
#               punctuation stripped).  `demo` or no corpus argument: the first DEMO_WORDS
#               words of the embedded demo text (King James Bible, Debian bible-kjv-text).
#   OUT_DIR     created; every intermediate file stays there:
#                 corpus.txt, runs/text/, runs/two-stage-s1/ ... runs/e2e-s4/ (vectors.vec,
#                 metrics.tsv, config.json, last.pt, best.pt), test-set.tsv, eval.tsv,
#                 eval.json, eval.txt, curves.png
#   Re-running recomputes every step and replaces its outputs (each written atomically);
#   a single step can be re-run by copying its echoed command.
# Environment:
#   EPOCHS=40         epochs of every character model
#   TEXT_EPOCHS=30    epochs of the text reference (gensim's default of 5 leaves a model of a
#                     small corpus nearly untrained: all its cosine similarities near 0.99)
#   SCALES="1 2 3 4"  the scales s (GRU width 50*s, s GRU layers, s linear layers, 100*s dims)
#   KINDS="two-stage e2e"
#   PRESET=fast       optimisation preset of the character models (see below)
#   DEVICE=auto       auto | cpu | cuda
#   SEED=0            seed of the models and of the test set
#   DEMO_WORDS=30000  size of the demo corpus
#   NEIGHBOURS=...    comma-separated words whose nearest neighbours the table shows
#                     (default for the demo text: god,king,water,said; else none)
#   TINY=1            a smoke test (used by the test suite): 300 lines, 1 epoch, s = 1 only
#
# Preset: `fast` (lr 5e-3, 5e-4 for s > 2, 100-step warm-up, subsampling t = 1e-3, unigram^0.75
# negatives), not `paper` (lr 1e-3, 1e-4 for s > 2, no subsampling, uniform negatives).  On a
# corpus of tens of thousands of words and a CPU budget of minutes per model, the paper's
# settings leave metric A near its starting point (see docs/commands.md, Training); the
# fast preset shows the orthographic-to-semantic movement of the end-to-end model within 40
# epochs (e2e at s = 1 on the demo text: A -0.10 -> 0.41, B 0.76 -> 0.43).  PRESET=paper
# reproduces the paper's optimisation exactly (give it far more epochs).
#
# Expected time on 2 CPU cores with the 30k-word demo text (docs/examples.md):
# about 1.5-2 hours for the defaults, about 6 minutes with SCALES=1, about a
# minute for TINY=1.
set -euo pipefail

usage() {
  echo "usage: $0 [CORPUS.txt|demo] OUT_DIR" >&2
  exit 2
}
case $# in
  1) corpus=demo; out=$1 ;;
  2) corpus=$1; out=$2 ;;
  *) usage ;;
esac

# Echo every command (shell-quoted, so it can be copied) before running it.
run() {
  printf '+' >&2
  printf ' %q' "$@" >&2
  printf '\n' >&2
  "$@"
}

seed=${SEED:-0}
device=${DEVICE:-auto}
preset=${PRESET:-fast}
kinds=${KINDS:-two-stage e2e}
demo_words=${DEMO_WORDS:-30000}
if [ "${TINY:-0}" = 1 ]; then
  lines=300; epochs=${EPOCHS:-1}; scales=${SCALES:-1}
  text_opts=(--epochs 2 --min-count 1)
  neural_opts=(--ae-epochs 1)
  eval_opts=(--bootstrap 0 --no-benchmarks)
else
  lines=0; epochs=${EPOCHS:-40}; scales=${SCALES:-1 2 3 4}
  text_opts=(--epochs "${TEXT_EPOCHS:-30}")
  neural_opts=()
  eval_opts=(--bootstrap 1000)
fi

run mkdir -p "$out/runs"

# --- the corpus ---------------------------------------------------------------------------
if [ "$corpus" = demo ]; then
  code='import sys; from spokenw2v.corpus import demo_corpus; print("\n".join(demo_corpus(int(sys.argv[1]))))'
  echo "+ python3 -c '$code' $demo_words > $out/corpus.txt" >&2
  python3 -c "$code" "$demo_words" > "$out/corpus.txt.tmp"
  mv "$out/corpus.txt.tmp" "$out/corpus.txt"
  neighbours=${NEIGHBOURS-god,king,water,said}
else
  [ -f "$corpus" ] || { echo "$0: $corpus: no such corpus file" >&2; exit 1; }
  run cp "$corpus" "$out/corpus.txt"
  neighbours=${NEIGHBOURS-}
fi
if [ "$lines" -gt 0 ]; then
  run head -n "$lines" "$out/corpus.txt" > "$out/corpus.txt.tmp"
  mv "$out/corpus.txt.tmp" "$out/corpus.txt"
fi

# --- 1. the text reference ----------------------------------------------------------------
run spokenw2v train text --corpus "$out/corpus.txt" --out "$out/runs/text" --seed "$seed" "${text_opts[@]}"
reference=$out/runs/text/vectors.vec

# --- 2. character models, metrics A and B after every epoch -------------------------------
# Without --test-set, train draws its test set from the corpus with --test-seed (default 0),
# exactly as `evaluate --corpus ... --seed 0` below does, so the table's A and B equal the
# last row of each metrics.tsv; evaluate saves that test set as test-set.tsv.
runs=()
for s in $scales; do
  for kind in $kinds; do
    run_dir=$out/runs/$kind-s$s
    extra=()
    [ "$kind" = two-stage ] && extra=("${neural_opts[@]}")
    run spokenw2v train "$kind" --corpus "$out/corpus.txt" --out "$run_dir" --scale "$s" --epochs "$epochs" \
      --preset "$preset" --seed "$seed" --device "$device" --reference "$reference" "${extra[@]}"
    runs+=("$run_dir")
  done
done

# --- 3. one table, one figure ---------------------------------------------------------------
vectors=("$reference")
metrics=()
for r in "${runs[@]}"; do
  vectors+=("$r/vectors.vec")
  metrics+=("$r/metrics.tsv")
done
nb_opts=()
[ -n "$neighbours" ] && nb_opts=(--neighbours "$neighbours")
run spokenw2v evaluate "${vectors[@]}" --reference "$reference" --corpus "$out/corpus.txt" --seed "$seed" \
  --save-test-set "$out/test-set.tsv" --tsv "$out/eval.tsv" --json "$out/eval.json" "${eval_opts[@]}" \
  "${nb_opts[@]}" | tee "$out/eval.txt"
run spokenw2v plot curves "${metrics[@]}" --out "$out/curves.png" \
  --title "Character-level models: two-stage and end-to-end, s = ${scales// /,}"
echo "char_scale.sh: wrote $out/eval.tsv, $out/eval.txt and $out/curves.png" >&2
