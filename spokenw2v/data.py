"""Token streams, skipgram windows, negative sampling, subsampling and batching.

A *token stream* is the corpus as one long sequence of word tokens (N of them), each with
its word type (the label; label-free, the distinct sequence itself: :func:`sequence_types`),
its utterance (windows never cross utterances) and the id of its *distinct* symbol sequence:
for a text corpus the characters of the word (so the sequence id is the word type), for
speech the units of the token's frames (almost every token has its own sequence).

Batching (the speed design): a step takes a contiguous span of ``batch_tokens`` centre
words of the (subsampled) stream.  Every token of the span is encoded once by the target
encoder; every distinct sequence among the span's context words (the span plus ``window``
tokens either side) and its negatives is encoded once by the context encoder; the window
pairs and negatives are gathered from those encodings.  Sequences are bucketed by length
into a few padded tensors (see :class:`models.PadInvariantBiGRU`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
import torch

from .config import NegativeSampling, TrainConfig
from .errors import SpokenW2VError
from .frames import merge_duplicates, word_unit_sequences
from .io import Segments, Units, WordUnits
from .models import EncodePlan, SkipGramBatch

# --------------------------------------------------------------------------- token streams


@dataclass
class TokenStream:
    """A corpus as N word tokens with S distinct symbol sequences.

    ``words`` (V,) word types, most frequent first; ``word_ids`` (N,) type of each token;
    ``utt_index`` (N,) utterance number of each token (non-decreasing); ``seq_ids`` (N,)
    distinct sequence of each token; ``seq_values``/``seq_offsets`` (S+1,) the packed
    sequences (symbol ids in ``[0, vocab_size)``); ``alphabet`` the characters (text) or
    None (units); ``utts`` (U,) utterance ids.
    """

    words: list[str]
    word_ids: np.ndarray
    utt_index: np.ndarray
    seq_ids: np.ndarray
    seq_values: np.ndarray
    seq_offsets: np.ndarray
    vocab_size: int
    symbols: str  # "chars" | "units"
    alphabet: list[str] | None
    utts: list[str]

    def __len__(self) -> int:
        return int(self.word_ids.shape[0])

    @property
    def n_sequences(self) -> int:
        return int(self.seq_offsets.shape[0] - 1)

    @property
    def seq_lengths(self) -> np.ndarray:
        return np.diff(self.seq_offsets)

    def type_counts(self) -> np.ndarray:
        """(V,) tokens per word type."""
        return np.bincount(self.word_ids, minlength=len(self.words))

    def sentences(self) -> list[list[str]]:
        """The token stream as word lists, one per utterance."""
        cuts = np.flatnonzero(np.diff(self.utt_index)) + 1
        return [[self.words[i] for i in part] for part in np.split(self.word_ids, cuts)]

    def fingerprint(self) -> str:
        """A short hash of the tokens and their sequences (detects resuming on other data)."""
        h = hashlib.sha1()
        for a in (self.word_ids, self.utt_index, self.seq_ids, self.seq_values, self.seq_offsets):
            h.update(np.ascontiguousarray(a, dtype=np.int64).tobytes())
        h.update("\n".join(self.words).encode())
        return h.hexdigest()[:16]


def _word_types(sentences: Sequence[Sequence[str]]) -> tuple[list[str], dict[str, int]]:
    """Word types by decreasing frequency (ties: first appearance)."""
    counts: dict[str, int] = {}
    for s in sentences:
        for w in s:
            counts[w] = counts.get(w, 0) + 1
    words = sorted(counts, key=lambda w: -counts[w])  # stable: first appearance breaks ties
    return words, {w: i for i, w in enumerate(words)}


def _utterance_layout(sentences: Sequence[Sequence[str]], index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    word_ids = np.fromiter((index[w] for s in sentences for w in s), dtype=np.int64)
    utt_index = np.repeat(np.arange(len(sentences), dtype=np.int64), [len(s) for s in sentences])
    return word_ids, utt_index


def char_stream(sentences: Sequence[Sequence[str]], utts: Sequence[str] | None = None,
                source: str = "corpus") -> TokenStream:
    """Characters of each word token: the sequence id of a token is its word type."""
    sentences = [s for s in sentences if s]
    if not sentences:
        raise SpokenW2VError(f"{source}: the corpus has no words")
    words, index = _word_types(sentences)
    word_ids, utt_index = _utterance_layout(sentences, index)
    alphabet = sorted({ch for w in words for ch in w})
    char_id = {ch: i for i, ch in enumerate(alphabet)}
    seqs = [np.fromiter((char_id[ch] for ch in w), dtype=np.int64, count=len(w)) for w in words]
    values, offsets = _pack(seqs)
    return TokenStream(words, word_ids, utt_index, word_ids.copy(), values, offsets, len(alphabet), "chars",
                       alphabet, list(utts) if utts is not None else [str(i) for i in range(len(sentences))])


def unit_stream(sequences: Sequence[np.ndarray], words: Sequence[str] | None, utts: Sequence[str], k: int,
                source: str = "units", symbols: Sequence[str] | None = None) -> TokenStream:
    """Units of each word token (``sequences[i]`` (L_i,) ids in ``[0, k)``), labelled by
    ``words[i]``, in utterance ``utts[i]`` (tokens grouped by utterance, in time order).

    ``words`` None: label-free, every distinct sequence is a word type (named by
    :func:`sequence_name`, with ``symbols`` the name of each id when given)."""
    if not len(sequences):
        raise SpokenW2VError(f"{source}: no word tokens")
    distinct: dict[bytes, int] = {}
    seq_list: list[np.ndarray] = []
    seq_ids = np.empty(len(sequences), dtype=np.int64)
    for i, s in enumerate(sequences):
        s = np.asarray(s, dtype=np.int64)
        if s.size == 0:
            label = f"{words[i]!r}, " if words is not None else ""
            raise SpokenW2VError(f"{source}: word token {i} ({label}utterance {utts[i]}) has no units")
        if int(s.min()) < 0 or int(s.max()) >= k:
            raise SpokenW2VError(
                f"{source}: utterance {utts[i]}: unit id {int(s.max())} is outside the codebook [0, {k})"
            )
        key = s.tobytes()
        j = distinct.get(key)
        if j is None:
            j = distinct[key] = len(seq_list)
            seq_list.append(s)
        seq_ids[i] = j
    utt_names = list(dict.fromkeys(utts))
    utt_number = {u: i for i, u in enumerate(utt_names)}
    utt_index = np.fromiter((utt_number[u] for u in utts), dtype=np.int64, count=len(utts))
    if np.any(np.diff(utt_index) < 0):
        raise SpokenW2VError(f"{source}: word tokens are not grouped by utterance")
    if words is None:
        type_list, word_ids = sequence_types(seq_ids, seq_list, symbols)
    else:
        type_list, index = _word_types([list(words)])
        word_ids = np.fromiter((index[w] for w in words), dtype=np.int64, count=len(words))
    values, offsets = _pack(seq_list)
    return TokenStream(type_list, word_ids, utt_index, seq_ids, values, offsets, int(k), "units", None,
                       utt_names)


def sequence_name(seq: np.ndarray, symbols: Sequence[str] | None = None) -> str:
    """The word-type name of a unit sequence (L,): its ids (or ``symbols[id]``) joined by ``-``."""
    return "-".join(str(x) for x in seq.tolist()) if symbols is None else "-".join(symbols[x] for x in seq.tolist())


def sequence_types(seq_ids: np.ndarray, seq_list: Sequence[np.ndarray],
                   symbols: Sequence[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Label-free word types: every distinct sequence is one type.

    ``seq_ids`` (N,) the distinct sequence of each token, numbered in order of first
    appearance; ``seq_list`` the S sequences.  Returns the type names (S,), most frequent
    first (ties: first appearance, as for word labels), and the type of each token (N,).
    Nothing here sees a word label.
    """
    counts = np.bincount(seq_ids, minlength=len(seq_list))
    order = np.argsort(-counts, kind="stable")  # stable: first appearance breaks ties
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return [sequence_name(seq_list[j], symbols) for j in order.tolist()], rank[seq_ids]


@dataclass
class TrainingStream:
    """The token stream of a training run and where its tokens came from.

    ``rows`` (N,) the rows of the word segments that became tokens (None for a text corpus);
    ``skipped`` what ``--skip-missing`` dropped (None when nothing); ``summary`` one line
    that describes the stream for the log (None for characters).
    """

    stream: TokenStream
    rows: np.ndarray | None
    skipped: dict | None = None
    summary: str | None = None


def training_stream(sentences: Sequence[Sequence[str]], seg: Segments | None = None,
                    word_units: WordUnits | None = None, units: Units | None = None, merge: bool | None = None,
                    skip_missing: bool = False, source: str = "corpus", units_source: str = "units",
                    label_free: bool = False) -> TrainingStream:
    """The token stream of ``train``: the symbols of each word-units token (``word_units``;
    merged only when ``merge``), the units of each segment's frames (``units`` with ``seg``;
    merged unless ``merge`` is False; ``skip_missing`` skips segments without frames), or
    the characters of each word of ``sentences``.  ``source`` names the token input and
    ``units_source`` the units file in messages.  ``label_free`` (units only): the word
    types are the distinct unit sequences (:func:`sequence_types`); no word label is read."""
    if label_free and word_units is None and units is None:
        raise SpokenW2VError(f"{source}: label-free word types need speech units (characters are the words)")
    if word_units is not None:
        seqs = [merge_duplicates(q) for q in word_units.sequences] if merge else word_units.sequences
        stream = unit_stream(seqs, None if label_free else word_units.seg.word, word_units.seg.utt, word_units.k,
                             source=source, symbols=word_units.symbols)
        stream.alphabet = word_units.symbols
        return TrainingStream(stream, np.arange(len(word_units.seg)), None,
                              f"{stream.n_sequences} distinct symbol sequences among {len(stream)} tokens "
                              f"({word_units.k} {'symbols' if word_units.symbols else 'unit ids'})")
    if units is not None:
        try:
            seqs, kept = word_unit_sequences(units, seg, merge=True if merge is None else merge, source=source,
                                             skip_missing=skip_missing)
        except SpokenW2VError as exc:
            raise SpokenW2VError(f"{exc} (--skip-missing skips such segments)") from None
        skipped = _skipped_summary(seg, kept, units, units_source) if len(kept) < len(seg) else None
        stream = unit_stream(seqs, None if label_free else [seg.word[i] for i in kept],
                             [seg.utt[i] for i in kept], units.k, source=units_source)
        return TrainingStream(stream, kept, skipped,
                              f"{stream.n_sequences} distinct unit sequences among {len(stream)} tokens "
                              f"(k = {units.k})")
    rows = None if seg is None else np.arange(len(seg))
    return TrainingStream(char_stream(sentences, source=source), rows)


def _skipped_summary(seg: Segments, kept: np.ndarray, units: Units, path: str) -> dict:
    """What ``--skip-missing`` dropped (for the final summary and config.json)."""
    index = units.frames.index()
    missing = [i for i in range(len(seg)) if seg.utt[i] not in index]
    utts = list(dict.fromkeys(seg.utt[i] for i in missing))
    return {"tokens": len(seg) - len(kept), "of": len(seg), "missing_tokens": len(missing),
            "missing_utterances": len(utts), "first_missing": utts[:5],
            "past_end_tokens": len(seg) - len(kept) - len(missing), "units": str(path)}


def _pack(seqs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in seqs], out=offsets[1:])
    values = np.concatenate(seqs).astype(np.int64) if seqs else np.zeros(0, np.int64)
    return values, offsets


# --------------------------------------------------------------------------- sampling


def subsample_mask(counts: np.ndarray, word_ids: np.ndarray, threshold: float,
                   rng: np.random.Generator) -> np.ndarray:
    """word2vec's frequent-word subsampling: keep a token of a type with corpus frequency
    ``f`` with probability ``min(1, (sqrt(f/t) + 1) * t/f)``.  Returns (N,) bool."""
    if threshold <= 0:
        return np.ones(word_ids.shape[0], dtype=bool)
    f = counts / max(1, counts.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = np.where(f > 0, (np.sqrt(f / threshold) + 1.0) * threshold / f, 1.0)
    return rng.random(word_ids.shape[0]) < np.minimum(keep, 1.0)[word_ids]


class NoiseSampler:
    """Draws negative *tokens*: a word type with probability ``count ** power`` (normalised),
    then a uniformly chosen token of that type (so for speech, a real token's sequence).
    ``power = 1`` is a token drawn uniformly from the stream (the reference code)."""

    def __init__(self, word_ids: np.ndarray, n_types: int, power: float):
        self.n = int(word_ids.shape[0])
        self.power = float(power)
        counts = np.bincount(word_ids, minlength=n_types)
        self.counts = counts
        self.tokens_by_type = np.argsort(word_ids, kind="stable")
        self.type_start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        weights = counts.astype(np.float64) ** self.power
        self.cdf = np.cumsum(weights / weights.sum())

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """(n,) token positions."""
        if self.power == 1.0:
            return rng.integers(self.n, size=n)
        types = np.minimum(np.searchsorted(self.cdf, rng.random(n), side="right"), len(self.cdf) - 1)
        within = (rng.random(n) * self.counts[types]).astype(np.int64)
        return self.tokens_by_type[self.type_start[types] + within]


# --------------------------------------------------------------------------- batches


@dataclass
class TokenBatch:
    """One step in token positions: centres (B,), contexts (B, 2w) with mask, negatives (B, K).
    With a shared pool, ``pool`` (P,) holds the pool tokens and ``neg_pool`` (B, K) the
    position of each negative in it."""

    centres: np.ndarray
    contexts: np.ndarray
    mask: np.ndarray
    negatives: np.ndarray
    pool: np.ndarray | None = None
    neg_pool: np.ndarray | None = None


def window_offsets(window: int) -> np.ndarray:
    return np.concatenate([np.arange(-window, 0), np.arange(1, window + 1)])


def span_batch(kept: np.ndarray, kept_utt: np.ndarray, a: int, b: int, cfg: TrainConfig,
               sampler: NoiseSampler, rng: np.random.Generator) -> TokenBatch:
    """Centres ``kept[a:b]`` with their ``cfg.window`` context words each side (in the kept
    stream, same utterance) and ``cfg.negatives`` negatives each."""
    centres_k = np.arange(a, b)
    ctx_k = centres_k[:, None] + window_offsets(cfg.window)[None, :]
    inside = (ctx_k >= 0) & (ctx_k < len(kept))
    ctx_k = np.clip(ctx_k, 0, len(kept) - 1)
    mask = inside & (kept_utt[ctx_k] == kept_utt[centres_k][:, None])
    n_centres = b - a
    if cfg.negative_sampling == NegativeSampling.pool.value:
        pool = sampler.sample(cfg.pool_size, rng)
        neg_pool = rng.integers(cfg.pool_size, size=(n_centres, cfg.negatives))
        negatives = pool[neg_pool]
    else:
        pool = neg_pool = None
        negatives = sampler.sample(n_centres * cfg.negatives, rng).reshape(n_centres, cfg.negatives)
    return TokenBatch(kept[centres_k], kept[ctx_k], mask, negatives, pool, neg_pool)


def encode_plan(stream: TokenStream, seq_ids: np.ndarray, n_buckets: int,
                with_tokens: bool = True) -> tuple[EncodePlan, np.ndarray]:
    """Plan to encode the distinct sequences ``seq_ids`` (U,) (any order, no repeats).

    Returns the plan and ``row`` (U,): the output row of ``seq_ids[i]``.  Sequences are
    sorted by length and split into ``n_buckets`` padded buckets of equal count.
    """
    lengths = stream.seq_lengths[seq_ids]
    order = np.argsort(lengths, kind="stable")
    row = np.empty(len(seq_ids), dtype=np.int64)
    row[order] = np.arange(len(seq_ids))
    ordered = seq_ids[order]
    buckets = []
    if with_tokens:
        for chunk in np.array_split(np.arange(len(ordered)), min(n_buckets, max(1, len(ordered)))):
            if not len(chunk):
                continue
            ids = ordered[chunk]
            lens = stream.seq_lengths[ids]
            width = int(lens.max())
            pos = stream.seq_offsets[ids][:, None] + np.arange(width)[None, :]
            valid = np.arange(width)[None, :] < lens[:, None]
            tokens = np.where(valid, stream.seq_values[np.minimum(pos, len(stream.seq_values) - 1)], 0)
            buckets.append((torch.from_numpy(tokens), torch.from_numpy(lens.astype(np.int64))))
    return EncodePlan(torch.from_numpy(ordered.copy()), buckets), row


def plan_batch(stream: TokenStream, tb: TokenBatch, n_buckets: int, with_tokens: bool = True) -> SkipGramBatch:
    """Turn token positions into distinct-sequence encode plans and the rows to gather."""
    t_unique, t_inv = np.unique(stream.seq_ids[tb.centres], return_inverse=True)
    t_plan, t_rows = encode_plan(stream, t_unique, n_buckets, with_tokens)
    n_ctx = tb.contexts.size
    if tb.pool is not None:
        c_all = np.concatenate([stream.seq_ids[tb.contexts].ravel(), stream.seq_ids[tb.pool]])
    else:
        c_all = np.concatenate([stream.seq_ids[tb.contexts].ravel(), stream.seq_ids[tb.negatives].ravel()])
    c_unique, c_inv = np.unique(c_all, return_inverse=True)
    c_plan, c_rows = encode_plan(stream, c_unique, n_buckets, with_tokens)
    c_inv = c_rows[c_inv.reshape(-1)]
    c_row = c_inv[:n_ctx].reshape(tb.contexts.shape)
    if tb.pool is not None:
        n_row = c_inv[n_ctx:][tb.neg_pool]
    else:
        n_row = c_inv[n_ctx:].reshape(tb.negatives.shape)
    return SkipGramBatch(t_plan, c_plan, torch.from_numpy(t_rows[t_inv.reshape(-1)]), torch.from_numpy(c_row),
                         torch.from_numpy(tb.mask), torch.from_numpy(np.ascontiguousarray(n_row)))


class EpochBatches:
    """The steps of one epoch, deterministic given (``cfg.seed``, ``epoch``, ``rank``).

    The kept stream (after subsampling) is cut into contiguous spans of ``batch_tokens``
    centre words, visited in a seeded random order.  With ``world > 1`` every rank takes
    every ``world``-th span (the last ``len % world`` spans of the shuffled order are
    skipped that epoch so all ranks run the same number of steps).
    """

    def __init__(self, stream: TokenStream, cfg: TrainConfig, epoch: int, sampler: NoiseSampler,
                 rank: int = 0, world: int = 1, with_tokens: bool = True):
        self.stream, self.cfg, self.sampler, self.with_tokens = stream, cfg, sampler, with_tokens
        shared = np.random.default_rng([cfg.seed, epoch])
        keep = subsample_mask(stream.type_counts(), stream.word_ids, cfg.subsample, shared)
        self.kept = np.flatnonzero(keep)
        if len(self.kept) == 0:
            self.kept = np.arange(len(stream))
        self.kept_utt = stream.utt_index[self.kept]
        starts = np.arange(0, len(self.kept), cfg.batch_tokens)
        starts = starts[shared.permutation(len(starts))]
        if world > 1:
            starts = starts[: len(starts) - len(starts) % world][rank::world]
        self.starts = starts
        self.rng = np.random.default_rng([cfg.seed, epoch, 1 + rank])

    def __len__(self) -> int:
        return len(self.starts)

    @property
    def centre_words(self) -> int:
        return int(sum(min(a + self.cfg.batch_tokens, len(self.kept)) - a for a in self.starts))

    def token_batches(self) -> Iterator[TokenBatch]:
        for a in self.starts:
            b = min(int(a) + self.cfg.batch_tokens, len(self.kept))
            yield span_batch(self.kept, self.kept_utt, int(a), b, self.cfg, self.sampler, self.rng)

    def __iter__(self) -> Iterator[SkipGramBatch]:
        for tb in self.token_batches():
            yield plan_batch(self.stream, tb, self.cfg.length_buckets, self.with_tokens)


# --------------------------------------------------------------------------- word-type vectors


def type_token_choice(stream: TokenStream, cap: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``cap`` tokens of every word type, chosen with a seeded shuffle.

    Returns (tokens (M,), their types (M,)); a type's vector is the mean over its tokens.
    """
    rng = np.random.default_rng([seed, 104729])
    perm = rng.permutation(len(stream))
    order = perm[np.argsort(stream.word_ids[perm], kind="stable")]
    types = stream.word_ids[order]
    starts = np.concatenate([[0], np.flatnonzero(np.diff(types)) + 1])
    group_start = np.repeat(starts, np.diff(np.concatenate([starts, [len(types)]])))
    rank = np.arange(len(types)) - group_start
    chosen = order[rank < cap]
    return chosen, stream.word_ids[chosen]


def distinct_chunks(stream: TokenStream, seq_ids: np.ndarray, chunk: int, n_buckets: int,
                    with_tokens: bool = True) -> Iterator[tuple[np.ndarray, EncodePlan, np.ndarray]]:
    """Encode plans over ``seq_ids`` (distinct) in chunks: yields (ids, plan, rows)."""
    for a in range(0, len(seq_ids), chunk):
        ids = seq_ids[a: a + chunk]
        plan, rows = encode_plan(stream, ids, n_buckets, with_tokens)
        yield ids, plan, rows
