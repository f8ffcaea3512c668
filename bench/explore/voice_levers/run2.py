import os, sys, time, json
from levers import *
from spokenw2v.frames import frame_range
from spokenw2v.kmeans import standardize

mode = sys.argv[1]  # speaker | utterance | control
GRID = np.round(np.arange(0.80, 1.2001, float(os.environ.get("STEP", "0.02"))), 2)
groups_by = {}
key = spk if mode == "speaker" else {u: u for u in utts}
for u in utts:
    groups_by.setdefault(key[u], []).append(u)
bywords = seg.by_utterance()


def inword(u, n):
    m = np.zeros(n, bool)
    for i in bywords.get(u, []):
        a, b = frame_range(float(seg.start[i]), float(seg.end[i]), KALDI_INFO, n)
        m[a:b] = True
    return m


def feats_with(alphas):
    return {u: deltas(kaldi_mfcc(wave(u), alphas[key[u]])) for u in utts}


t0 = time.time()
import os
start = int(os.environ.get("START", "0"))
alphas = json.load(open(os.environ["INIT"])) if os.environ.get("INIT") else {g: 1.0 for g in groups_by}
f = feats_with(alphas)
fit, un = units_of(f, KALDI_INFO)
if start == 0:
    measure("kaldi-mfcc23-k100 (alpha 1)", un)
if mode == "control":
    sys.exit()
iters = int(sys.argv[2]) if len(sys.argv) > 2 else 2
for it in range(iters):
    cb = fit.codebook
    C = torch.from_numpy(cb.centroids)
    mean, std = cb.mean, cb.std
    for g, us in groups_by.items():
        sub = us[:40]
        best = None
        for a in GRID:
            tot = cnt = 0
            for u in sub:
                x = deltas(kaldi_mfcc(wave(u), a))
                x = x[inword(u, len(x))]
                z = torch.from_numpy((x - mean) / std)
                d = torch.cdist(z, C).min(1).values.pow(2)
                tot += float(d.sum()); cnt += len(x)
            v = tot / max(cnt, 1)
            if best is None or v < best[0]:
                best = (v, a)
        alphas[g] = float(best[1])
    if mode == "speaker":
        print("iter", it, {g: alphas[g] for g in sorted(alphas)}, flush=True)
    else:
        byspk = {}
        for u in utts:
            byspk.setdefault(spk[u], []).append(alphas[u])
        print("iter", it, {s: (round(float(np.mean(v)), 3), round(float(np.std(v)), 3)) for s, v in sorted(byspk.items())}, flush=True)
    f = feats_with(alphas)
    fit, un = units_of(f, KALDI_INFO)
    measure(f"vtln-{mode}-iter{start + it + 1}", un, {"alphas": {g: alphas[g] for g in sorted(alphas)} if mode == "speaker" else None})
    print("t", time.time() - t0, flush=True)
    json.dump(alphas, open(D / "exp" / f"alphas-{mode}-{start + it + 1}.json", "w"))
fit, un = units_of(speaker_cmvn(f), KALDI_INFO); measure(f"vtln-{mode}-iter{start + iters}+cmvn-speaker", un)
fit, un = units_of(speaker_cmvn(f, {x: x for x in utts}), KALDI_INFO); measure(f"vtln-{mode}-iter{start + iters}+cmvn-utterance", un)
json.dump(alphas, open(D / "exp" / f"alphas-{mode}.json", "w"))
