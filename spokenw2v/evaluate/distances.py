"""Distances of word pairs: cosine distance in a model, normalized edit distance of the
spellings, and the distance of the two words' log corpus frequencies."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ..io import WordVectors

__all__ = ["cosine_distances", "edit_distances", "log_frequency_distances", "unit_rows"]

#: Pairs handled at once when computing cosine distances.
PAIR_CHUNK = 2048


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float64); zero rows stay zero (cosine 0 with anything)."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(norms > 0, norms, 1.0)


def cosine_distances(wv: WordVectors, idx1: np.ndarray, idx2: np.ndarray) -> np.ndarray:
    """Cosine distances ``1 - cos(v[idx1[p]], v[idx2[p]])`` (P,) float64 for row indices of ``wv``.

    Works through the pairs in cache-sized blocks (float64), so it needs no (V, D) copy of a
    large vocabulary.  A zero vector has cosine 0 with anything (distance 1).
    """
    out = np.empty(len(idx1), dtype=np.float64)
    for lo in range(0, len(idx1), PAIR_CHUNK):
        a = wv.vectors[idx1[lo: lo + PAIR_CHUNK]].astype(np.float64)
        b = wv.vectors[idx2[lo: lo + PAIR_CHUNK]].astype(np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", a, a) * np.einsum("ij,ij->i", b, b))
        out[lo: lo + len(a)] = 1.0 - np.einsum("ij,ij->i", a, b) / np.where(norms > 0, norms, 1.0)
    return out


def edit_distances(word1: Sequence[str], word2: Sequence[str]) -> np.ndarray:
    """Normalized Levenshtein distances (P,) float64: edits / length of the longer word (rapidfuzz)."""
    if not len(word1):
        return np.zeros(0, dtype=np.float64)
    return np.asarray(process.cpdist(list(word1), list(word2), scorer=Levenshtein.normalized_distance,
                                     dtype=np.float64), dtype=np.float64)


def log_frequency_distances(freq1: Sequence[int], freq2: Sequence[int]) -> np.ndarray:
    """``|log f1 - log f2|`` (P,) float64 for corpus counts (>= 1) of the two words of each pair."""
    return np.abs(np.log(np.asarray(freq1, dtype=np.float64)) - np.log(np.asarray(freq2, dtype=np.float64)))
