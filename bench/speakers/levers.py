"""Units across speakers, lever by lever (bench/RESULTS.md, "Units across speakers"): frame
features -> k-means units (several seeds) -> across- and within-speaker ABX and normalized edit
distances, in memory.  Every lever reads the same features and segments; the correspondence
autoencoder (spokenw2v.cae) is trained on pairs mined without labels.

    python bench/speakers/levers.py FEATURES SEGMENTS SPEAKERS.tsv OUT.jsonl \\
        [--levers mfcc,cmvn,cae,cae-norm,cae2,cae3] [--k 50] [--seeds 0,1,2] [--max-distance 0.3] [--name NAME]

SPEAKERS.tsv has utt and speaker columns (synthesize's audio.tsv; for the LibriSpeech sample a
two-column TSV whose speaker is the utterance id up to its first "-").  One JSON line per lever and seed: the measures of
spokenw2v.speakers.speaker_discrimination, pairs found and their precision against the
transcript (read only to measure), and the seconds the lever took.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace

import numpy as np

from spokenw2v.cae import CAEConfig, encode_features, fit_cae, mutual_pairs, speaker_normalize
from spokenw2v.consensus import word_embeddings
from spokenw2v.discretize import KMeansConfig, apply_codebook, fit_codebook_with_report
from spokenw2v.frames import word_unit_sequences
from spokenw2v.io import Units, iter_features, read_segments, read_speakers
from spokenw2v.speakers import speaker_discrimination, token_speakers


def unit_measures(shards, seg, spk, k: int, seed: int) -> dict:
    """k-means (seeded) on the in-word frames of ``shards``, then the across-speaker measures."""
    fit = fit_codebook_with_report(shards, KMeansConfig(k=k, seed=seed), in_words=seg, device="cpu")
    units = apply_codebook(fit.codebook, shards, device="cpu")
    seqs, _ = word_unit_sequences(Units(units, k, "", ""), seg)
    return speaker_discrimination(seqs, seg.word, spk, triplets=10000, seed=seed)


def pair_precision(shards, seg, spk, config: CAEConfig) -> tuple[int, float]:
    """(pairs, share of pairs that are one word): the transcript read only to measure."""
    pairs = mutual_pairs(word_embeddings(shards, seg, config.pieces), spk, config.max_distance)
    words = np.asarray(seg.word, dtype=object)
    return len(pairs), float(np.mean(words[pairs[:, 0]] == words[pairs[:, 1]])) if len(pairs) else float("nan")


def lever_features(lever: str, base, seg, spk, table, config: CAEConfig):
    """(features of ``lever``, extra fields for the record); a ``cmvn+`` prefix normalises the
    input features per speaker first."""
    if lever.startswith("cmvn+"):
        return lever_features(lever[len("cmvn+"):], speaker_normalize(base, table), seg, spk, table, config)
    if lever == "mfcc":
        return base, {}
    if lever == "cmvn":
        return speaker_normalize(base, table), {}
    first = fit_cae(base, seg, spk, config)
    n, prec = pair_precision(base, seg, spk, config)
    extra = {"pairs": n, "pair_precision": prec, "aligned_before": first.aligned_distance_before,
             "aligned_after": first.aligned_distance_after}
    coded = list(encode_features(first.encoder, base))
    if lever == "cae":
        return coded, extra
    if lever == "cae-norm":
        return speaker_normalize(coded, table), extra
    if lever.startswith("cae") and lever[3:].isdigit():  # cae2, cae3 ...: more rounds, each mining its
        normed = speaker_normalize(coded, table)        # pairs on the previous encoder's normalised features
        for r in range(2, int(lever[3:]) + 1):
            nxt = fit_cae(base, seg, spk, config, pairs_from=normed)
            n2, prec2 = pair_precision(normed, seg, spk, config)
            extra.update({f"pairs{r}": n2, f"pair_precision{r}": prec2})
            normed = speaker_normalize(list(encode_features(nxt.encoder, base)), table)
        return normed, extra
    raise ValueError(f"unknown lever {lever!r}")


def run(features: str, segments: str, speakers: str, out: str, levers: list[str], k: int, seeds: list[int],
        config: CAEConfig, name: str) -> None:
    seg = read_segments(segments, require_words=True)
    table = read_speakers(speakers)
    spk = token_speakers(seg.utt, table, speakers)
    base = list(iter_features(features))
    base_utts = {u for s in base for u in s.utt_ids}
    table = {u: s for u, s in table.items() if u in base_utts}
    for lever in levers:
        for seed in seeds:
            t0 = time.time()
            feats, extra = lever_features(lever, base, seg, spk, table, replace(config, seed=seed))
            m = unit_measures(feats, seg, spk, k, seed)
            rec = {"condition": name, "lever": lever, "seed": seed, "k": k, **m, **extra,
                   "config": config.__dict__, "seconds": round(time.time() - t0, 1)}
            print(json.dumps(rec), flush=True)
            with open(out, "a") as fh:
                fh.write(json.dumps(rec) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("features")
    ap.add_argument("segments")
    ap.add_argument("speakers")
    ap.add_argument("out")
    ap.add_argument("--levers", default="mfcc,cmvn,cae,cae-norm,cae2")
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--max-distance", type=float, default=CAEConfig.max_distance)
    ap.add_argument("--epochs", type=int, default=CAEConfig.epochs)
    ap.add_argument("--pretrain-epochs", type=int, default=CAEConfig.pretrain_epochs)
    ap.add_argument("--layers", type=int, default=CAEConfig.layers)
    ap.add_argument("--hidden", type=int, default=CAEConfig.hidden)
    ap.add_argument("--context", type=int, default=CAEConfig.context)
    ap.add_argument("--target", default=CAEConfig.target)
    ap.add_argument("--feature-layer", type=int, default=0, help="0: the output layer")
    ap.add_argument("--batch", type=int, default=CAEConfig.batch)
    ap.add_argument("--name", default="")
    a = ap.parse_args()
    config = CAEConfig(max_distance=a.max_distance, epochs=a.epochs, pretrain_epochs=a.pretrain_epochs,
                       layers=a.layers, feature_layer=a.feature_layer, hidden=a.hidden,
                       context=a.context, target=a.target, batch=a.batch)
    run(a.features, a.segments, a.speakers, a.out, a.levers.split(","), a.k, [int(s) for s in a.seeds.split(",")],
        config, a.name or a.features)


if __name__ == "__main__":
    main()
