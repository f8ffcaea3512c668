import json, sys
from levers import *
from spokenw2v.io import write_codebook
alphas = json.load(open(sys.argv[1]))
norm = sys.argv[2]
out = sys.argv[3]
f = {u: deltas(kaldi_mfcc(wave(u), alphas[spk[u]])) for u in utts}
if norm == "speaker":
    f = speaker_cmvn(f)
fit, un = units_of(f, KALDI_INFO)
measure(f"written:{out}", un)
write_units(out, un, fit.codebook.k, out + ".codebook.npz", fit.codebook.fingerprint())
