#!/usr/bin/env bash
# Units across speakers, end to end (bench/RESULTS.md, "Units across speakers"): MFCC, two rounds
# of the correspondence autoencoder (pairs mined across speakers without labels), k-means units,
# word units with the across-speaker measures, e2e on them (seeds), and beside them the plain
# MFCC units, two-stage, and the character e2e model on the same text, all evaluated with the nulls.
#
#   bench/speakers/run.sh DIR SPEECH [SEEDS] [EPOCHS] [MAX_DISTANCE]
#   bench/speakers/run.sh runs-f3 /data/festival-3voice 0,1,2 60 1.0
#
# SPEECH is a synthesize output (audio.tsv with a speaker column, segments.tsv, corpus.txt).
# One thread per job (OMP_NUM_THREADS=1).  Steps whose output exists are kept.
set -euo pipefail
dir=$1 speech=$2 seeds=${3:-0} epochs=${4:-60} md=${5:-1.0}
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
mkdir -p "$dir/logs"
cd "$dir"
segs=$speech/segments.tsv spk=$speech/audio.tsv
cp "$speech/corpus.txt" text.txt
[ -f runs/text/vectors.vec ] || spokenw2v train text --corpus text.txt --out runs/text --seed 0 --quiet
[ -d mfcc ] || spokenw2v featurize "$spk" --out mfcc --feature mfcc --hop-ms 20 --segments "$segs" --device cpu --quiet
t0=$(date +%s)
[ -f cae1.npz ] || spokenw2v cae mfcc --segments "$segs" --speakers "$spk" --max-distance "$md" --model cae1.pt \
    --out cae1.npz --speaker-norm 2> logs/cae1.txt
[ -f cae2.npz ] || spokenw2v cae mfcc --segments "$segs" --speakers "$spk" --max-distance "$md" --pairs-from cae1.npz \
    --model cae2.pt --out cae2.npz --speaker-norm 2> logs/cae2.txt
echo "two encoder rounds: $(( $(date +%s) - t0 )) s"
for f in mfcc cae2; do
  feats=$f; [ "$f" = mfcc ] || feats=$f.npz
  [ -f "units-$f.npz" ] || spokenw2v discretize "$feats" --out "units-$f.npz" --codebook "cb-$f.npz" --k 100 \
      --segments "$segs" --in-words --seed 0 --device cpu --quiet
  spokenw2v word-units "units-$f.npz" "$segs" --out "wu-$f.tsv" --report "wu-$f.json" --speakers "$spk" \
      2> "logs/wu-$f.txt"
done
e2e() {  # e2e SEED: e2e on the encoder's units
  [ -f "runs/e2e-cae2-s$1/vectors.vec" ] || spokenw2v train e2e --word-units wu-cae2.tsv --out "runs/e2e-cae2-s$1" \
      --reference runs/text/vectors.vec --epochs "$epochs" --eval-every 6 --seed "$1" --device cpu --quiet
}
first=${seeds%%,*}
e2e "$first"
[ -f runs/e2e-chars-s0/vectors.vec ] || spokenw2v train e2e --corpus text.txt --out runs/e2e-chars-s0 \
    --reference runs/text/vectors.vec --epochs "$epochs" --eval-every 6 --seed 0 --device cpu --quiet
[ -f runs/e2e-mfcc-s0/vectors.vec ] || spokenw2v train e2e --word-units wu-mfcc.tsv --out runs/e2e-mfcc-s0 \
    --reference runs/text/vectors.vec --epochs "$epochs" --eval-every 6 --seed 0 --device cpu --quiet
[ -f runs/two-stage-cae2-s0/vectors.vec ] || spokenw2v train two-stage --word-units wu-cae2.tsv \
    --out runs/two-stage-cae2-s0 --reference runs/text/vectors.vec --epochs "$epochs" --ae-epochs 5 --seed 0 \
    --device cpu --quiet
for s in ${seeds//,/ }; do e2e "$s"; done
spokenw2v evaluate runs/*/vectors.vec --reference runs/text/vectors.vec --corpus text.txt --seed 0 --no-benchmarks \
    --tsv results.tsv --json results.json
