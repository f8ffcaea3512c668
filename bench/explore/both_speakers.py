"""For the types both speakers of the LibriSpeech sample say (speaker = the utterance id up to its
first "-"): distinct unit sequences per type, and how often the two speakers share a sequence.
    python bench/explore/both_speakers.py WORD_UNITS.tsv ..."""
import sys
from collections import defaultdict
from spokenw2v.io import read_word_units
for f in sys.argv[1:]:
    wu = read_word_units(f)
    spk = defaultdict(set); seqs = defaultdict(set); byspk = defaultdict(lambda: defaultdict(set)); n = defaultdict(int)
    for i, w in enumerate(wu.seg.word):
        s = wu.seg.utt[i].split("-")[0]; k = tuple(wu.sequences[i].tolist())
        spk[w].add(s); seqs[w].add(k); byspk[w][s].add(k); n[w] += 1
    both = [w for w in spk if len(spk[w]) == 2]
    import numpy as np
    per = np.mean([len(seqs[w]) for w in both]); tok = np.mean([n[w] for w in both])
    cross = np.mean([bool(set.intersection(*byspk[w].values())) for w in both])
    print(f"{f}: {len(both)} types said by both speakers ({tok:.2f} tokens each): {per:.2f} distinct sequences per type; a sequence shared across the speakers for {100*cross:.1f}% of them")
