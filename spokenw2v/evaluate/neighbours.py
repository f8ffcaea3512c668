"""The nearest words of a word by cosine similarity, and words matched without regard to case."""

from __future__ import annotations

import numpy as np

from ..io import WordVectors

__all__ = ["lowercase_index", "nearest_neighbours"]


def lowercase_index(wv: WordVectors) -> dict[str, int]:
    """Lower-cased word -> row; the first row wins when two words differ only in case."""
    index: dict[str, int] = {}
    for i, w in enumerate(wv.words):
        index.setdefault(w.lower(), i)
    return index


def nearest_neighbours(model: WordVectors, word: str, k: int = 10) -> list[tuple[str, float]]:
    """The ``k`` nearest words of ``word`` by cosine similarity, as ``(word, similarity)``.

    ``word`` is matched exactly, else lower-cased; an unknown word gives an empty list.
    """
    i = model.index.get(word)
    if i is None:
        i = lowercase_index(model).get(word.lower())
    if i is None or k <= 0 or len(model) < 2:
        return []
    norms = np.linalg.norm(model.vectors, axis=1)
    q = model.vectors[i] / (norms[i] or 1.0)
    sims = (model.vectors @ q) / np.where(norms > 0, norms, 1.0)
    sims[i] = -np.inf
    k = min(k, len(model) - 1)
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(model.words[j], float(sims[j])) for j in top]
