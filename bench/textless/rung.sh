#!/usr/bin/env bash
# The textless rung of `spokenw2v demo --textless-epochs N` on other text or voices
# (bench/RESULTS.md, "Meaning without a transcript: the demo's rung, ..." and "The textless ladder"):
#   bench/textless/rung.sh DIR [SEED ...]
# TEXT (default: 30,000 words of Debian's fortunes, apt-get install fortunes, a genre kept out of
# all tuning) spoken continuously in VOICES / VARIANTS / RATES (default: the demo's one voice,
# en-us at 170); words found by `discover` (its defaults), e2e with label-free types (--types
# sequences) beside the same model on the engine's word boundaries and two-stage on the found
# words; every model scored through the gold word each token overlaps most (label-vectors), then
# one evaluate.  STYLE=words speaks each word alone (the demo's pause-separated speech) instead of
# continuously; METHOD=prominence|eskmeans|lexicon picks discover's method (default: its default),
# and names the found words and runs after it, so several methods can share one DIR.  CONSENSUS=1
# is the many-voice recipe without labels: MFCC with VTLN estimated per speaker on whole
# utterances (`featurize --vtln auto`), and every model reads consensus units of its tokens
# (`word-units --consensus mfcc --radius 0.3`) instead of their own.
set -euo pipefail
dir=$1; shift
seeds=("${@:-0}")
epochs=${EPOCHS:-45}
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
here=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$dir/runs" "$dir/eval"
cd "$dir"
if [ ! -f text.txt ]; then
    if [ -n "${TEXT:-}" ]; then cp "$TEXT" text.txt; else python3 "$here/fortunes_corpus.py" --words 30000 > text.txt; fi
fi
[ -f runs/text/vectors.vec ] || spokenw2v train text --corpus text.txt --out runs/text --seed 0 -q
[ -f speech/segments.tsv ] || spokenw2v synthesize text.txt --out speech \
    --style "${STYLE:-continuous}" --voices "${VOICES:-en-us}" --variants "${VARIANTS:-}" --rates "${RATES:-170}" \
    --seed 0 --jobs 2 -q
vtln=()
[ -n "${CONSENSUS:-}" ] && vtln=(--vtln auto --warps-out warps.tsv)
[ -e mfcc ] || spokenw2v featurize speech/audio.tsv --out mfcc --feature mfcc --hop-ms 20 --device cpu "${vtln[@]}" -q
[ -f units.npz ] || spokenw2v discretize mfcc --out units.npz --codebook codebook.npz --k 100 --seed 0 --device cpu -q
found=found${METHOD:+-$METHOD}
[ -f $found.tsv ] || spokenw2v discover mfcc --out $found.tsv ${METHOD:+--method $METHOD} --seed 0 -q
[ -f $found.json ] || spokenw2v label-segments $found.tsv --gold speech/segments.tsv --out $found-labelled.tsv \
    --report $found.json
models=()
train() {  # NAME KIND SEGMENTS SEED
    local run=runs/$1-s$4 tokens=runs/$1-s$4.tokens.npz vec=eval/$1-seed$4.vec extra=()
    [ "$2" = two-stage ] && extra=(--ae-epochs 5)
    local input=(--segments "$3" --units units.npz)
    if [ -n "${CONSENSUS:-}" ]; then
        local wu=${3%.tsv}.consensus.tsv
        wu=wu-${wu//\//-}
        [ -f "$wu" ] || spokenw2v word-units units.npz "$3" --out "$wu" --consensus mfcc --radius 0.3 --device cpu
        input=(--word-units "$wu")
    fi
    [ -f "$tokens" ] || spokenw2v train "$2" "${input[@]}" --types sequences --out "$run" \
        --epochs "$epochs" --token-vectors "$tokens" --seed "$4" --device cpu "${extra[@]}" -q
    [ -f "$vec" ] || spokenw2v label-vectors "$tokens" --gold speech/segments.tsv --out "$vec" -q
    models+=("$vec")
}
name=${METHOD:+-$METHOD}
for seed in "${seeds[@]}"; do
    train e2e-textless$name e2e $found.tsv "$seed"
done
train e2e-textless-gold e2e speech/segments.tsv 0
train two-stage-textless$name two-stage $found.tsv 0
spokenw2v evaluate "${models[@]}" --reference runs/text/vectors.vec --corpus text.txt --seed 0 --no-benchmarks \
    --tsv results$name.tsv > results$name.txt
cat results$name.txt
