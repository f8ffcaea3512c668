"""The many-voice unit levers of bench/RESULTS.md ("Many-voice units: levers"): features ->
k-means units -> word measures, in memory.  LEVERS_DIR holds speech-voices/ (synthesize's many-voice
rung) and an exp/ folder for the results (levers.jsonl).  Run from this folder:
  LEVERS_DIR=DIR python run1.py k cmvn stack      # other k, normalisation, stacking/PCA
  LEVERS_DIR=DIR python run2.py speaker 6         # kaldi MFCC + unsupervised per-speaker VTLN
  LEVERS_DIR=DIR python write_units.py DIR/exp/alphas-speaker-6.json speaker units.npz   # for train e2e
(one thread, nice; the whole table took about 15 minutes of one core.)
"""
import json, os, sys, time
from pathlib import Path
import numpy as np
import torch
torch.set_num_threads(1)
import torchaudio.compliance.kaldi as K
import torchaudio.functional as AF
from rapidfuzz.distance import Levenshtein
from spokenw2v.audio import load_audio
from spokenw2v.discretize import KMeansConfig, fit_codebook_with_report, apply_codebook
from spokenw2v.features import MFCCFeaturizer
from spokenw2v.frames import unit_statistics, unit_discrimination, word_unit_sequences
from spokenw2v.io import FrameInfo, Ragged, read_segments, read_tsv, read_audio_list, write_units

D = Path(os.environ.get("LEVERS_DIR", "."))  # holds speech-voices/ (synthesize) and exp/
SP = D / "speech-voices"
seg = read_segments(SP / "segments.tsv", require_words=True)
_, rows = read_tsv(SP / "utterances.tsv", ["utt", "voice", "variant", "rate"])
spk = {r["utt"]: f"{r['voice']}-{r['variant']}" for _, r in rows}
setting = {r["utt"]: f"{r['voice']}-{r['variant']}-{r['rate']}" for _, r in rows}
audio = read_audio_list(SP / "audio.tsv")
utts = list(audio)
_waves = {}


def wave(u):
    if u not in _waves:
        _waves[u] = load_audio(audio[u])
    return _waves[u]


MFCC_INFO = MFCCFeaturizer().info
KALDI_INFO = FrameInfo(frame_rate=100.0, frame_offset=0.005, frame_width=0.025, feature="mfcc")


def deltas(m):  # m (F, 13) -> (F, 39)
    t = torch.from_numpy(m.T.copy())
    d = AF.compute_deltas(t, win_length=5)
    dd = AF.compute_deltas(d, win_length=5)
    return torch.cat([t, d, dd], 0).T.contiguous().numpy()


def kaldi_mfcc(w, alpha=1.0, n_mels=23):
    x = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32)).unsqueeze(0) * 32768
    with torch.inference_mode():
        m = K.mfcc(x, snip_edges=False, vtln_warp=float(alpha), num_mel_bins=n_mels, low_freq=20.0,
                   high_freq=0.0, vtln_low=100.0, vtln_high=-500.0, dither=0.0)
    return m.numpy()


def base_feats(us):
    f = MFCCFeaturizer()
    return {u: f([wave(u)])[0] for u in us}


def ragged(feats, info):
    us = [u for u in utts]
    lens = np.array([len(feats[u]) for u in us])
    off = np.zeros(len(us) + 1, np.int64); np.cumsum(lens, out=off[1:])
    durs = np.array([len(wave(u)) / 16000 for u in us])
    return Ragged(us, off, np.concatenate([feats[u] for u in us]).astype(np.float32), durs, info)


def speaker_cmvn(feats, key=spk):
    groups = {}
    for u in feats:
        groups.setdefault(key[u], []).append(u)
    out = {}
    for g, us in groups.items():
        x = np.concatenate([feats[u] for u in us])
        m, s = x.mean(0), x.std(0) + 1e-5
        for u in us:
            out[u] = (feats[u] - m) / s
    return out


def stack(feats, ctx=2, dims=13):
    out = {}
    for u, f in feats.items():
        x = f[:, :dims]
        p = np.pad(x, ((ctx, ctx), (0, 0)), mode="edge")
        out[u] = np.concatenate([p[i:i + len(x)] for i in range(2 * ctx + 1)], 1)
    return out


def pca_whiten(feats, n_out, seed=0):
    x = np.concatenate([feats[u] for u in feats])
    rng = np.random.default_rng(seed)
    s = x[rng.choice(len(x), min(len(x), 200000), replace=False)].astype(np.float64)
    m = s.mean(0); c = np.cov(s - m, rowvar=False)
    ev, evec = np.linalg.eigh(c)
    order = np.argsort(ev)[::-1][:n_out]
    W = evec[:, order] / np.sqrt(ev[order] + 1e-8)
    return {u: ((f - m) @ W).astype(np.float32) for u, f in feats.items()}


def units_of(feats, info, k=100, seed=0):
    r = ragged(feats, info)
    fit = fit_codebook_with_report(r, KMeansConfig(k=k, seed=seed), in_words=seg, device="cpu")
    return fit, apply_codebook(fit.codebook, r, device="cpu")


def speaker_pairs(seqs, words, seg_utts, n=5000, seed=0, min_count=10):
    """mean normalized edit distance of same-word pairs with the same vs a different speaker."""
    by = {}
    for j, w in enumerate(words):
        by.setdefault(w, []).append(j)
    types = sorted(w for w, js in by.items() if len(js) >= min_count)
    rng = np.random.default_rng(seed)
    same, diff = [], []
    keys = [tuple(s.tolist()) for s in seqs]
    tries = 0
    while (len(same) < n or len(diff) < n) and tries < 50 * n:
        tries += 1
        js = by[types[rng.integers(len(types))]]
        a, b = rng.choice(len(js), 2, replace=False)
        a, b = js[a], js[b]
        d = Levenshtein.normalized_distance(keys[a], keys[b])
        (same if spk[seg_utts[a]] == spk[seg_utts[b]] else diff).append(d)
    return float(np.mean(same[:n])), float(np.mean(diff[:n]))


def measure(name, units_ragged, extra=None):
    from spokenw2v.io import Units
    seqs, kept = word_unit_sequences(type("U", (), {"frames": units_ragged})(), seg)
    st = unit_statistics(seqs, seg.word)
    di = unit_discrimination(seqs, seg.word)
    ss, ds = speaker_pairs(seqs, seg.word, seg.utt)
    rec = {"lever": name, "seq_per_type": st["mean_sequences_per_type"], "unique": st["unique_fraction"],
           "units_per_token": st["mean_units"], "share": di["same_type_share"], "abx": di["abx_error"],
           "d_same": di["same_word_distance"], "d_diff": di["different_word_distance"],
           "d_same_spk": ss, "d_other_spk": ds, **(extra or {})}
    print(json.dumps(rec), flush=True)
    with open(D / "exp" / "levers.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")
    return rec
