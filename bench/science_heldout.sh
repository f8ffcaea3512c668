#!/usr/bin/env bash
# The section 4.1 check on a text the test suite never sees: 30 000 words of the King James
# Version from Matthew 1:1 (the tests and the demo use Genesis).  Trains the text reference,
# then the character e2e and two-stage models (the `fast` preset, 45 epochs; the two-stage
# auto-encoder 30 epochs, as the demo) with seeds 0, 1, 2, and evaluates them on the test split
# beside the null rows, under both test-set protocols.  About 15 minutes on 2 CPU cores.
#
#   bash bench/science_heldout.sh OUT_DIR
set -euo pipefail
out=${1:?usage: bench/science_heldout.sh OUT_DIR}
mkdir -p "$out"
python3 -c "from spokenw2v.corpus import demo_corpus; print(chr(10).join(demo_corpus(30000, start='Mat1:1')))" \
  > "$out/text.txt"
spokenw2v train text --corpus "$out/text.txt" --out "$out/runs/text" --seed 0 --quiet
for s in 0 1 2; do
  spokenw2v train e2e --corpus "$out/text.txt" --out "$out/runs/e2e-chars.seed$s" --epochs 45 --preset fast \
    --seed "$s" --device cpu --quiet
  spokenw2v train two-stage --corpus "$out/text.txt" --out "$out/runs/two-stage-chars.seed$s" --epochs 45 \
    --ae-epochs 30 --preset fast --seed "$s" --device cpu --quiet
done
for protocol in paper authors; do
  spokenw2v evaluate "$out"/runs/{e2e,two-stage}-chars.seed{0,1,2}/vectors.vec --reference "$out/runs/text/vectors.vec" \
    --corpus "$out/text.txt" --seed 0 --protocol "$protocol" --split test --no-benchmarks \
    --save-test-set "$out/test-set-$protocol.tsv" --tsv "$out/eval-$protocol.tsv" --json "$out/eval-$protocol.json" \
    | tee "$out/eval-$protocol.txt"
done
