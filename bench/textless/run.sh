#!/usr/bin/env bash
# The runs of bench/RESULTS.md, "Meaning without a transcript" (one-voice demo text, 30k words).
#   bench/textless/run.sh DIR
# Needs `synthesize --style continuous` (continuous speech) and `discover` (prominence word discovery).
set -euo pipefail
dir=$1
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir"
cd "$dir"
[ -f text.txt ] || python3 -c 'from spokenw2v.corpus import demo_corpus; print(chr(10).join(demo_corpus(30000)))' > text.txt
# pause-separated speech (the demo's): units as the demo makes them (codebook fitted on in-word frames)
[ -f pause/speech/segments.tsv ] || spokenw2v synthesize text.txt --out pause/speech --voices en-us --variants "" \
    --rates 170 --seed 0 --jobs 1 -q
[ -d pause/mfcc ] || spokenw2v featurize pause/speech/audio.tsv --out pause/mfcc --feature mfcc --hop-ms 20 \
    --segments pause/speech/segments.tsv --device cpu -q
[ -f pause/units.npz ] || spokenw2v discretize pause/mfcc --out pause/units.npz --codebook pause/codebook.npz --k 100 \
    --segments pause/speech/segments.tsv --in-words --seed 0 --device cpu -q
python3 "$here/ladder.py" run pause --units pause/units.npz --gold pause/speech/segments.tsv --text text.txt \
    --condition pause-lab:e2e:pause/speech/segments.tsv:labels:0,1 \
    --condition pause-seq:e2e:pause/speech/segments.tsv:sequences:0,1
# continuous speech (a whole utterance per synthesis): units from the audio alone (every frame)
[ -f cont/speech/segments.tsv ] || spokenw2v synthesize text.txt --out cont/speech --style continuous --voices en-us \
    --variants "" --rates 170 --seed 0 --jobs 2 -q
python3 "$here/ladder.py" units cont cont/speech/audio.tsv
[ -f cont/found-prominence.tsv ] || spokenw2v discover cont/mfcc --out cont/found-prominence.tsv --method prominence \
    --seed 0 --gold cont/speech/segments.tsv
[ -f cont/noisy-70.tsv ] || spokenw2v segment-noise cont/speech/segments.tsv --jitter 0.012 --split 0.2 --merge 0.3 \
    --seed 0 --out cont/noisy-70.tsv --report cont/noisy-70.json -q
python3 "$here/ladder.py" run cont --units cont/units.npz --gold cont/speech/segments.tsv --text text.txt \
    --condition gold-lab:e2e:cont/speech/segments.tsv:labels:0 \
    --condition gold-seq:e2e:cont/speech/segments.tsv:sequences:0 \
    --condition prom-seq:e2e:cont/found-prominence.tsv:sequences:0,1,2 \
    --condition prom-seq-2stage:two-stage:cont/found-prominence.tsv:sequences:0 \
    --condition sim70-seq:e2e:cont/noisy-70.tsv:sequences:0
