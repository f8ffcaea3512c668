"""The text baseline and the oracle: gensim Word2Vec (skipgram, negative sampling) on words,
and on word-type ids (perfect segmentation and clustering)."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .config import TEXT_EPOCHS
from .errors import SpokenW2VError
from .io import WordVectors
from .monitor import Evaluator, metrics_row


@dataclass
class TextConfig:
    """gensim Word2Vec skipgram with negative sampling (``sg=1``)."""

    dim: int = 100
    window: int = 5
    negatives: int = 5
    min_count: int = 5
    epochs: int = TEXT_EPOCHS  # not gensim's 5: see spokenw2v.config.TEXT_EPOCHS
    sample: float = 1e-3  # frequent-word subsampling threshold (gensim's default)
    alpha: float = 0.025
    seed: int = 0
    workers: int = 1  # 1 = bit-for-bit reproducible with the same seed


def stable_hash(text: str) -> int:
    """A hash that does not depend on PYTHONHASHSEED (given to gensim as ``hashfxn``)."""
    return int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:4], "little")


def train_text(sentences: Sequence[Sequence[str]], cfg: TextConfig, evaluator: Evaluator | None = None,
               on_epoch: Callable[[dict], None] | None = None) -> tuple[WordVectors, list[dict]]:
    """Train gensim Word2Vec (skipgram, negative sampling) on word lists.

    Returns the vectors of every word with at least ``min_count`` tokens (most frequent
    first) and the metrics rows (epoch 0 = the initial vectors).  With ``workers=1`` and the
    same seed the vectors are identical from run to run (gensim >= 4 initialises vectors
    from the seed alone, and ``hashfxn`` is :func:`stable_hash`).
    """
    from gensim.models import Word2Vec
    from gensim.models.callbacks import CallbackAny2Vec

    sentences = [list(s) for s in sentences if s]
    if not sentences:
        raise SpokenW2VError("the corpus has no words")
    model = Word2Vec(vector_size=cfg.dim, window=cfg.window, negative=cfg.negatives, min_count=cfg.min_count,
                     sample=cfg.sample, alpha=cfg.alpha, seed=cfg.seed, workers=cfg.workers, sg=1, hs=0,
                     hashfxn=stable_hash, compute_loss=True)
    model.build_vocab(sentences)
    if len(model.wv) == 0:
        raise SpokenW2VError(f"no word occurs at least --min-count {cfg.min_count} times")
    n_words = sum(len(s) for s in sentences)

    def current() -> WordVectors:
        return WordVectors(list(model.wv.index_to_key), np.array(model.wv.vectors, dtype=np.float32))

    rows = [metrics_row(0, None, None, 0.0, evaluator(current()) if evaluator else None, cpu_s=0.0)]
    if on_epoch:
        on_epoch(rows[-1])

    class _Log(CallbackAny2Vec):
        def __init__(self):
            self.epoch, self.t0, self.start, self.last_loss = 0, 0.0, time.perf_counter(), 0.0
            self.cpu_start = time.process_time()

        def on_epoch_begin(self, m):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, m):
            self.epoch += 1
            seconds = time.perf_counter() - self.t0
            total = m.get_latest_training_loss()
            loss, self.last_loss = total - self.last_loss, total
            if not math.isfinite(loss):
                raise SpokenW2VError(f"non-finite loss at epoch {self.epoch}")
            metrics = evaluator(current()) if evaluator else None
            rows.append(metrics_row(self.epoch, loss / n_words, n_words / max(seconds, 1e-9),
                                    time.perf_counter() - self.start, metrics,
                                    cpu_s=time.process_time() - self.cpu_start))
            if on_epoch:
                on_epoch(rows[-1])

    if cfg.epochs > 0:
        model.train(sentences, total_examples=len(sentences), epochs=cfg.epochs, callbacks=[_Log()],
                    compute_loss=True)
    return current(), rows


def oracle_sentences(sentences: Sequence[Sequence[str]]) -> tuple[list[list[str]], dict[str, str]]:
    """Replace every token by the id of its word type (perfect segmentation and clustering).

    Returns the id sentences and the map id -> word.  Ids are numbered by first appearance.
    """
    ids: dict[str, str] = {}
    out = []
    for s in sentences:
        out.append([ids.setdefault(w, f"T{len(ids)}") for w in s])
    return out, {v: k for k, v in ids.items()}


def train_oracle(sentences: Sequence[Sequence[str]], cfg: TextConfig, evaluator: Evaluator | None = None,
                 on_epoch: Callable[[dict], None] | None = None) -> tuple[WordVectors, list[dict]]:
    """The paper's trivial solution: SGNS over word-type ids (equal to ``text`` on the same tokens)."""
    id_sentences, id_to_word = oracle_sentences(sentences)

    def by_word(wv: WordVectors) -> dict[str, float]:
        return evaluator(WordVectors([id_to_word[w] for w in wv.words], wv.vectors))

    wv, rows = train_text(id_sentences, cfg, by_word if evaluator is not None else None, on_epoch)
    return WordVectors([id_to_word[w] for w in wv.words], wv.vectors), rows
