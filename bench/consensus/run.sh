#!/usr/bin/env bash
# The many-voice rung with consensus units (bench/RESULTS.md, "Consensus units"): synthesize a
# text in many voices, MFCC warped per speaker, k-means units, consensus units at several radii,
# e2e on each (and two-stage, and e2e on the plain units, as controls), evaluated beside the nulls.
#
#   bench/consensus/run.sh DIR TEXT VOICES VARIANTS RATES SYNTH_SEED [RADII] [SEEDS] [EPOCHS]
#   bench/consensus/run.sh runs-tune text.txt en-us,en-gb m1,m3,f1,f3 140,170,200 0 0.1,0.2,0.3,0.4 0
#   bench/consensus/run.sh runs-held text.txt en-gb-scotland,en-gb-x-rp m2,m4,f2,f4 155,185 1 0.3 0,1,2
#
# TEXT is one utterance per line (the demo's: python3 -c 'from spokenw2v.corpus import
# demo_corpus; print(chr(10).join(demo_corpus(30000)))'; another genre: bench/fortunes_corpus.py).
# One thread per job (OMP_NUM_THREADS=1); run jobs side by side as the machine allows.
set -euo pipefail
dir=$1 text=$2 voices=$3 variants=$4 rates=$5 synth_seed=$6
radii=${7:-0.3} seeds=${8:-0} epochs=${9:-60}
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
mkdir -p "$dir/logs"
cp "$text" "$dir/text.txt"
cd "$dir"
[ -f runs/text/vectors.vec ] || spokenw2v train text --corpus text.txt --out runs/text --seed 0 > logs/text.txt
[ -f speech/segments.tsv ] || spokenw2v synthesize text.txt --out speech --voices "$voices" --variants "$variants" \
    --rates "$rates" --seed "$synth_seed" --jobs 2
t0=$(date +%s)
[ -d mfcc-vtln ] || spokenw2v featurize speech/audio.tsv --out mfcc-vtln --feature mfcc --hop-ms 20 \
    --segments speech/segments.tsv --vtln auto --warps-out warps.tsv --device cpu
[ -f units.npz ] || spokenw2v discretize mfcc-vtln --out units.npz --codebook codebook.npz --k 100 \
    --segments speech/segments.tsv --in-words --seed 0 --device cpu
spokenw2v word-units units.npz speech/segments.tsv --out wu-plain.tsv --report wu-plain.json
for r in ${radii//,/ }; do
  spokenw2v word-units units.npz speech/segments.tsv --out "wu-r$r.tsv" --report "wu-r$r.json" \
      --consensus mfcc-vtln --radius "$r" --device cpu
  for s in ${seeds//,/ }; do
    spokenw2v train e2e --word-units "wu-r$r.tsv" --out "runs/e2e-r$r-s$s" --reference runs/text/vectors.vec \
        --epochs "$epochs" --eval-every 3 --seed "$s" --device cpu > "logs/e2e-r$r-s$s.txt"
  done
done
echo "after synthesis, to the first model: $(( $(date +%s) - t0 )) s"
r=${radii##*,}
spokenw2v train two-stage --word-units "wu-r$r.tsv" --out "runs/two-stage-r$r" --reference runs/text/vectors.vec \
    --epochs "$epochs" --ae-epochs 5 --seed 0 --device cpu > "logs/two-stage-r$r.txt"
spokenw2v train e2e --word-units wu-plain.tsv --out runs/e2e-plain --reference runs/text/vectors.vec \
    --epochs "$epochs" --eval-every 3 --seed 0 --device cpu > logs/e2e-plain.txt
spokenw2v evaluate runs/*/vectors.vec --reference runs/text/vectors.vec --corpus text.txt --seed 0 --no-benchmarks \
    --tsv results.tsv --json results.json
