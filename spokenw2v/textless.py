"""Word vectors from a model that never read a word label, scored against the transcript.

A unit model trained with label-free word types (``train --types sequences``: each distinct
unit sequence is a type; ``--types clusters``: discovered cluster ids) has vectors keyed by
types that no transcript knows.  Evaluation, and only evaluation, reads the transcript:

1. every token (its utterance, start and end, from ``train --token-vectors``) takes the gold
   word it overlaps most (:func:`spokenw2v.segscores.overlap_labels`, the rule of
   ``label-segments``); a token that overlaps no gold word is left out;
2. a word's vector is the mean of its tokens' vectors (the paper's rule for a spoken word
   type, here over every token);
3. the word vectors are scored like any ``.vec`` by ``evaluate`` (metrics A, B, A_partial).

The same route scores a model trained on gold boundaries (each token is then its own gold
word), so gold-boundary and discovered-boundary rows are averaged alike.  Nothing here reads
or writes files or prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import SpokenW2VError
from .io import Segments, TokenVectors, WordVectors
from .segscores import overlap_labels


@dataclass
class GoldWordVectors:
    """The word vectors of :func:`gold_word_vectors` and what became of the tokens.

    ``vectors`` one vector per gold word that at least one token overlaps, most tokens first
    (ties: first appearance); ``tokens`` tokens read; ``no_word`` tokens that overlapped no gold
    word (left out); ``tokens_per_word`` (V,) tokens averaged into each word's vector.
    """

    vectors: WordVectors
    tokens: int
    no_word: int
    tokens_per_word: np.ndarray

    @property
    def median_tokens_per_word(self) -> int:
        return int(np.median(self.tokens_per_word))


def token_segments(tv: TokenVectors) -> Segments:
    """The tokens of ``tv`` as segments (utterance, start, end; no words: their labels are
    not read).  Raises when the tokens have no times (a text corpus's token vectors)."""
    if len(tv.utt_ids) and not (np.isfinite(tv.start).all() and np.isfinite(tv.end).all()):
        raise SpokenW2VError("the token vectors have no times (a text corpus's tokens); label-free scoring "
                             "needs the tokens of speech")
    return Segments(list(tv.utt_ids), np.asarray(tv.start, dtype=np.float64),
                    np.asarray(tv.end, dtype=np.float64), None, {})


def gold_word_vectors(tv: TokenVectors, gold: Segments, source: str | None = None) -> GoldWordVectors:
    """Average token vectors ``tv`` (N, D) by the gold word each token overlaps most.

    ``gold`` the gold word segments (with words) of every utterance of ``tv``; times in
    seconds on both sides.  The tokens' own labels (``tv.words``) are never read.  An error
    begins with ``source`` (the files read) when given.
    """
    try:
        return _average_by_gold_word(tv, gold)
    except SpokenW2VError as exc:
        if source is None:
            raise
        raise SpokenW2VError(f"{source}: {exc}") from None


def _average_by_gold_word(tv: TokenVectors, gold: Segments) -> GoldWordVectors:
    if gold.word is None:
        raise SpokenW2VError("the gold segments need a word column")
    hyp = token_segments(tv)
    gold_utts = set(gold.utt)
    missing = [u for u in dict.fromkeys(hyp.utt) if u not in gold_utts]
    if missing:
        raise SpokenW2VError(f"utterance {missing[0]} of the token vectors is not in the gold segments "
                             f"({len(missing)} such utterance(s))")
    labels = overlap_labels(hyp, gold)
    keep = np.flatnonzero(labels.gold_row >= 0)
    if not len(keep):
        raise SpokenW2VError("no token overlaps a gold word (are the times of the same audio?)")
    words = [labels.word[i] for i in keep.tolist()]
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    names = sorted(counts, key=lambda w: -counts[w])  # stable: first appearance breaks ties
    index = {w: i for i, w in enumerate(names)}
    ids = np.fromiter((index[w] for w in words), dtype=np.int64, count=len(words))
    sums = np.zeros((len(names), tv.vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, ids, tv.vectors[keep].astype(np.float64))
    n = np.bincount(ids, minlength=len(names))
    vectors = (sums / n[:, None]).astype(np.float32)
    return GoldWordVectors(WordVectors(names, vectors), len(tv.utt_ids), len(tv.utt_ids) - len(keep), n)


__all__ = ["GoldWordVectors", "gold_word_vectors", "token_segments"]
