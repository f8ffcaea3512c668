#!/usr/bin/env bash
# Units across truly different speakers, end to end (bench/RESULTS.md, "Units across truly different
# speakers"): the recipe of docs/commands.md ("Units across speakers") -- MFCC warped per speaker
# against the others (featurize --vtln leave-one-out), two rounds of the correspondence autoencoder
# on pairs mined across speakers without labels (cae --speaker-norm), k-means units, consensus
# units -- with the across-speaker measures at each step, e2e on the consensus units (seeds), and
# beside them e2e on the units without consensus, two-stage, and the character e2e model on the same
# text, all evaluated with the nulls.
#
#   bench/speakers/run.sh DIR SPEECH [SEEDS] [EPOCHS]
#   spokenw2v synthesize text.txt --out flite --engine flite --style continuous --voices awb,rms,slt --rates 170
#   bench/speakers/run.sh runs-flite flite 0,1,2 60
#
# SPEECH is a synthesize output (audio.tsv with a speaker column, segments.tsv, corpus.txt).
# One thread per job (OMP_NUM_THREADS=1).  Steps whose output exists are kept.
set -euo pipefail
dir=$1 speech=$(cd "$2" && pwd) seeds=${3:-0} epochs=${4:-60}
export OMP_WAIT_POLICY=PASSIVE OMP_NUM_THREADS=1
mkdir -p "$dir/logs"
cd "$dir"
segs=$speech/segments.tsv spk=$speech/audio.tsv
cp "$speech/corpus.txt" text.txt
[ -f runs/text/vectors.vec ] || spokenw2v train text --corpus text.txt --out runs/text --seed 0 --quiet
[ -d mfcc ] || spokenw2v featurize "$spk" --out mfcc --feature mfcc --hop-ms 20 --vtln leave-one-out \
    --warps-out warps.tsv --device cpu 2> logs/featurize.txt
t0=$(date +%s)
cae=(spokenw2v cae mfcc --segments "$segs" --speakers "$spk" --max-distance 1 --speaker-norm)
[ -f cae1.npz ] || "${cae[@]}" --model cae1.pt --out cae1.npz 2> logs/cae1.txt
[ -f cae2.npz ] || "${cae[@]}" --pairs-from cae1.npz --model cae2.pt --out cae2.npz 2> logs/cae2.txt
echo "two encoder rounds: $(( $(date +%s) - t0 )) s"
for f in mfcc cae2; do
  feats=$f; [ "$f" = mfcc ] || feats=$f.npz
  [ -f "units-$f.npz" ] || spokenw2v discretize "$feats" --out "units-$f.npz" --codebook "cb-$f.npz" --k 100 \
      --segments "$segs" --in-words --seed 0 --device cpu --quiet
  spokenw2v word-units "units-$f.npz" "$segs" --out "wu-$f.tsv" --report "wu-$f.json" --speakers "$spk" \
      2> "logs/wu-$f.txt"
done
spokenw2v word-units units-cae2.npz "$segs" --out wu-consensus.tsv --report wu-consensus.json --speakers "$spk" \
    --consensus cae2.npz --radius 0.3 --device cpu 2> logs/wu-consensus.txt
train() {  # train NAME KIND ARGS...: one model on this text's reference
  [ -f "runs/$1/vectors.vec" ] || spokenw2v train "$2" "${@:3}" --out "runs/$1" --reference runs/text/vectors.vec \
      --epochs "$epochs" --device cpu --quiet
}
for s in ${seeds//,/ }; do train "e2e-consensus-s$s" e2e --word-units wu-consensus.tsv --eval-every 6 --seed "$s"; done
train e2e-chars-s0 e2e --corpus text.txt --eval-every 6 --seed 0
train e2e-cae2-s0 e2e --word-units wu-cae2.tsv --eval-every 6 --seed 0
train two-stage-consensus-s0 two-stage --word-units wu-consensus.tsv --ae-epochs 5 --seed 0
spokenw2v evaluate runs/*/vectors.vec --reference runs/text/vectors.vec --corpus text.txt --seed 0 --no-benchmarks \
    --tsv results.tsv --json results.json
