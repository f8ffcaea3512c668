#!/usr/bin/env bash
# The word discovery ladder of bench/RESULTS.md ("Word discovery").  Needs, under $DATA:
#   cont-1voice/ cont-voices/  continuous synthetic speech (synthesize, whole utterances: audio.tsv, segments.tsv)
#   pause1/                    pause-separated speech: spokenw2v synthesize CORPUS -o pause1 --voices en-us
#                              --variants m1 --rates 170 (CORPUS: the demo's first 2000 words)
# and writes features and results under $WORK.
set -euo pipefail
DATA=${DATA:?set DATA to the directory of the corpora}
WORK=${WORK:?set WORK to a scratch directory}
here=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$WORK"
spokenw2v segments "$here/examples/data/librispeech-sample/alignments" -o "$WORK/ls_gold.tsv" -q
[ -e "$WORK/ls_mfcc20.npz" ] || spokenw2v featurize "$here/examples/data/librispeech-sample/dev-clean" \
    -o "$WORK/ls_mfcc20.npz" --hop-ms 20 -q
for c in cont-1voice cont-voices pause1; do
    [ -e "$WORK/$c-mfcc20" ] || spokenw2v featurize "$DATA/$c/audio.tsv" -o "$WORK/$c-mfcc20" --hop-ms 20 -q
done
python "$here/bench/discover/bench_discover.py" \
    --corpus cont-1voice "$WORK/cont-1voice-mfcc20" "$DATA/cont-1voice/segments.tsv" 400 \
    --corpus cont-voices "$WORK/cont-voices-mfcc20" "$DATA/cont-voices/segments.tsv" 400 \
    --corpus librispeech "$WORK/ls_mfcc20.npz" "$WORK/ls_gold.tsv" 100 \
    --corpus pause-1voice "$WORK/pause1-mfcc20" "$DATA/pause1/segments.tsv" 100 \
    --transfer-from cont-1voice --out "$WORK/discover-ladder.tsv"
# Round 2: the lexicon method at its one-voice setting (lm_weight 1, chosen on the tuning half) beside ES-KMeans.
lex="python $here/bench/discover/bench_lexicon.py"
$lex "$WORK/cont-1voice-mfcc20" "$DATA/cont-1voice/segments.tsv" tuning method=lexicon,lm_weight=1 \
    method=lexicon,lm_weight=0.5 method=lexicon,lm_weight=1,duration_weight=1
$lex "$WORK/cont-1voice-mfcc20" "$DATA/cont-1voice/segments.tsv" held-out method=lexicon,lm_weight=1 method=lexicon,lm_weight=2
for seed in 0 1; do   # ES-KMeans against lexicon, paired bootstrap over the held-out utterances
    $lex "$WORK/cont-1voice-mfcc20" "$DATA/cont-1voice/segments.tsv" held-out method=eskmeans,seed=$seed \
        method=lexicon,lm_weight=1,seed=$seed --paired
done
$lex "$WORK/cont-voices-mfcc20" "$DATA/cont-voices/segments.tsv" all method=lexicon,lm_weight=1
$lex "$WORK/ls_mfcc20.npz" "$WORK/ls_gold.tsv" all method=eskmeans,clusters=100 method=lexicon,lm_weight=1,clusters=100 --paired
