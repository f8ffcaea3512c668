"""Who speaks each word token, and how well word unit sequences hold across speakers.

Speaker-blind measures (:func:`spokenw2v.frames.unit_discrimination`) mix pairs of tokens by
one speaker with pairs by two; when most pairs of a word come from one voice they hide how
far apart two speakers' tokens of a word are.  The measures here separate them, on the
normalized edit distance d (Levenshtein / longer length, 0 for two empty sequences):

* **across-speaker ABX**: a triplet is a word w said by at least two speakers, a token A of w
  by one speaker and a token B of w by another, and a token X of another word by B's speaker.
  The triplet is an error when d(A, B) > d(X, B) (ties count one half): B's own voice saying
  another word is nearer than another voice saying the same word.  Chance is 0.5.
* **within-speaker ABX**, beside it: A and B two distinct tokens of w by one speaker, X a token
  of another word by that speaker.
* mean d of **same-word pairs across speakers** (d(A, B) of the across triplets), of
  **same-word pairs within a speaker** (d(A, B) of the within triplets), and of **different
  words** (d(X, B) of the across triplets: by one speaker).

Triplets are drawn with a seed: a word uniformly among the eligible ones, then B's speaker
uniformly among the word's (eligible) speakers, A's speaker uniformly among the others, each
token uniformly among the ones that speaker said, X's word uniformly among the other words B's
speaker said and its token uniformly among them.  Word labels are read only to measure.
"""

from __future__ import annotations

import os
from typing import Mapping, Sequence

import numpy as np

from .errors import SpokenW2VError


def token_speakers(utts: Sequence[str], speakers: Mapping[str, str], source: str = "speakers") -> list[str]:
    """The speaker of each token (``utts[j]`` its utterance id); an utterance without a speaker
    is an error naming ``source``."""
    out = []
    for u in utts:
        s = speakers.get(u)
        if s is None:
            raise SpokenW2VError(f"{source}: no speaker for utterance {u!r}")
        out.append(s)
    return out


def speaker_table(utts: Sequence[str], speakers: str | os.PathLike | None,
                  pattern: str | None) -> dict[str, str] | None:
    """Utterance id -> speaker from a speakers TSV (``--speakers``: ``utt`` and ``speaker``
    columns) or from the utterance ids ``utts`` by a regular expression (``--speaker-pattern``);
    None when neither is given."""
    if speakers is not None and pattern is not None:
        raise SpokenW2VError("give --speakers FILE or --speaker-pattern REGEX, not both")
    if speakers is not None:
        from .io import read_speakers

        return read_speakers(speakers)
    if pattern is not None:
        from .vtln import speakers_by_pattern

        return speakers_by_pattern(utts, pattern)
    return None


def _normalized(keys: Sequence[tuple], i: int, j: int) -> float:
    from rapidfuzz.distance import Levenshtein

    return float(Levenshtein.normalized_distance(keys[i], keys[j]))


def speaker_discrimination(sequences: Sequence[np.ndarray], words: Sequence[str], speakers: Sequence[str],
                           triplets: int = 10000, seed: int = 0) -> dict[str, float | int | None]:
    """Across- and within-speaker ABX errors and the mean normalized edit distances of the
    module docstring.  ``sequences[j]``, ``words[j]``, ``speakers[j]``: token j's units, word
    and speaker.  Keys: ``speakers``; ``across_types`` (words said by at least two speakers)
    and ``within_types`` (words some speaker said twice); ``abx_across`` / ``abx_within``
    (None without eligible triplets); ``same_word_across``, ``same_word_within``,
    ``different_words`` (mean distances); ``triplets``."""
    n = len(sequences)
    if len(words) != n or len(speakers) != n:
        raise ValueError("sequences, words and speakers differ in length")
    keys = [tuple(np.asarray(s).tolist()) for s in sequences]
    by: dict[str, dict[str, list[int]]] = {}  # word -> speaker -> tokens
    said: dict[str, dict[str, list[int]]] = {}  # speaker -> word -> tokens
    for j, (w, s) in enumerate(zip(words, speakers)):
        by.setdefault(w, {}).setdefault(s, []).append(j)
        said.setdefault(s, {}).setdefault(w, []).append(j)
    said_words = {s: sorted(ws) for s, ws in said.items()}

    def other_word(rng, s: str, w: str) -> int | None:
        choices = said_words[s]
        if len(choices) < 2:
            return None
        k = int(rng.integers(len(choices) - 1))
        k += k >= choices.index(w)
        toks = said[s][choices[k]]
        return toks[int(rng.integers(len(toks)))]

    across_types = sorted(w for w, sp in by.items() if len(sp) >= 2 and any(len(said[s]) >= 2 for s in sp))
    within_types = sorted(w for w, sp in by.items() if any(len(t) >= 2 and len(said[s]) >= 2 for s, t in sp.items()))
    out: dict[str, float | int | None] = {"speakers": len(said), "across_types": len(across_types),
                                          "within_types": len(within_types), "triplets": triplets,
                                          "abx_across": None, "abx_within": None, "same_word_across": None,
                                          "same_word_within": None, "different_words": None}
    rng = np.random.default_rng(seed)
    if across_types:
        same, diff = [], []
        while len(same) < triplets:
            w = across_types[int(rng.integers(len(across_types)))]
            sp = sorted(s for s in by[w] if len(said[s]) >= 2)
            sb = sp[int(rng.integers(len(sp)))]
            others = sorted(s for s in by[w] if s != sb)
            sa = others[int(rng.integers(len(others)))]
            a = by[w][sa][int(rng.integers(len(by[w][sa])))]
            b = by[w][sb][int(rng.integers(len(by[w][sb])))]
            x = other_word(rng, sb, w)
            same.append(_normalized(keys, a, b))
            diff.append(_normalized(keys, x, b))
        same_a, diff_a = np.asarray(same), np.asarray(diff)
        out.update(abx_across=float(np.mean((same_a > diff_a) + 0.5 * (same_a == diff_a))),
                   same_word_across=float(same_a.mean()), different_words=float(diff_a.mean()))
    if within_types:
        same, diff = [], []
        while len(same) < triplets:
            w = within_types[int(rng.integers(len(within_types)))]
            sp = sorted(s for s, t in by[w].items() if len(t) >= 2 and len(said[s]) >= 2)
            s = sp[int(rng.integers(len(sp)))]
            toks = by[w][s]
            i = int(rng.integers(len(toks)))
            k = int(rng.integers(len(toks) - 1))
            k += k >= i
            x = other_word(rng, s, w)
            same.append(_normalized(keys, toks[i], toks[k]))
            diff.append(_normalized(keys, x, toks[k]))
        same_w, diff_w = np.asarray(same), np.asarray(diff)
        out.update(abx_within=float(np.mean((same_w > diff_w) + 0.5 * (same_w == diff_w))),
                   same_word_within=float(same_w.mean()))
    return out
