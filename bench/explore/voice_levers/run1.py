import sys, time
from levers import *

which = sys.argv[1:]
t0 = time.time()
base = base_feats(utts)
if "k" in which:
    for k in (50, 200):
        fit, u = units_of(base, MFCC_INFO, k=k); measure(f"base-mfcc-k{k}", u)
if "cmvn" in which:
    fit, u = units_of(speaker_cmvn(base), MFCC_INFO); measure("cmvn-speaker", u)
    fit, u = units_of(speaker_cmvn(base, {x: x for x in utts}), MFCC_INFO); measure("cmvn-utterance", u)
if "stack" in which:
    for ctx in (2, 4):
        fit, u = units_of(pca_whiten(stack(base, ctx), 39), MFCC_INFO); measure(f"stack+-{ctx}-pca39", u)
    fit, u = units_of(pca_whiten(base, 39), MFCC_INFO); measure("deltas-pca-whiten39", u)
    fit, u = units_of(pca_whiten(stack(speaker_cmvn(base), 4), 39), MFCC_INFO); measure("cmvn-speaker+stack+-4-pca39", u)
print("done", time.time() - t0)
