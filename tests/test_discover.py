"""Word discovery: hand-checked pieces, boundary F1 against known change points, pauses,
ES-KMeans clusters, determinism, the command line and its errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from helpers import assert_one_error_line, invoke
from spokenw2v import discover as dc
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import FrameInfo, Ragged, Segments, read_segments, write_features, write_segments, write_units
from spokenw2v.segscores import boundary_scores, token_scores

RATE = 50.0  # frames per second


def synthetic_words(n_utts: int = 30, n_types: int = 8, dim: int = 12, seed: int = 0, pause: bool = False,
                    noise: float = 0.3):
    """Utterances of words, each word type a fixed random sequence of three "phone" vectors
    (so words have inner changes too, weaker than their edges), frames at 50 /s with noise.
    Returns (Ragged features, gold Segments).  With ``pause`` (MFCC-like), column 0 is an
    energy: high inside words, low in 0.1-0.2 s pauses between some words and at the edges."""
    rng = np.random.default_rng(seed)
    types = rng.normal(0, 0.5, size=(n_types, 3, dim))
    types += rng.normal(0, 2.0, size=(n_types, 1, dim))  # a word-level offset: edges change more
    utts, arrays, durs, rows = [], [], [], []
    for u in range(n_utts):
        frames = []
        edge = 10 if pause else 0
        if edge:
            frames += [np.full(dim, -3.0)] * edge
        for _ in range(rng.integers(4, 8)):
            w = int(rng.integers(n_types))
            length = int(rng.integers(10, 20))  # 0.2-0.4 s
            parts = np.array_split(np.arange(length), 3)
            start = len(frames)
            for p, idx in enumerate(parts):
                frames += [types[w, p]] * len(idx)
            rows.append((f"u{u:03d}", start / RATE, len(frames) / RATE, f"w{w}"))
            if pause and rng.random() < 0.4:
                frames += [np.full(dim, -3.0)] * int(rng.integers(5, 10))
        frames += [np.full(dim, -3.0)] * edge
        x = np.asarray(frames) + rng.normal(0, noise, size=(len(frames), dim))
        if pause:
            x[:, 0] = np.where(np.all(np.asarray(frames) == -3.0, axis=1), -300.0, -100.0) + rng.normal(0, 3, len(x))
        utts.append(f"u{u:03d}")
        arrays.append(x.astype(np.float32))
        durs.append(len(x) / RATE)
    # frame i is centred at i / RATE + 0.5 / RATE: boundary b (between frames b-1, b) at b / RATE
    info = FrameInfo(RATE, 0.5 / RATE, 0.025, "mfcc" if pause else "hubert")
    gold = Segments([r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                    [r[3] for r in rows])
    return Ragged.from_list(utts, arrays, durs, info), gold


# --------------------------------------------------------------------------- pieces


def test_change_score_peaks_at_a_step():
    x = np.zeros((20, 2), np.float32)
    x[8:] = 1.0
    score = dc.change_score(x, window=3)
    assert score.shape == (21,)
    assert int(np.argmax(score)) == 8
    assert score[0] == score[20] == 0.0
    assert score[8] == pytest.approx(np.sqrt(2) / np.sqrt(2))  # means differ by 1 in both dims


def test_runs_and_silence():
    assert dc.runs(np.array([0, 1, 1, 0, 1], bool)) == [(1, 3), (4, 5)]
    energy = np.array([0, 0, 0, 10, 10, 0, 10, 10, 0, 0], float)
    sil = dc.silence_mask(energy, 0.5, min_frames=2)
    assert sil.tolist() == [True, True, True, False, False, False, False, False, True, True]
    assert not dc.silence_mask(energy, 0.0, 1).any()


def test_merge_short_joins_the_shorter_neighbour():
    assert dc.merge_short(np.array([0, 10, 12, 20]), 3).tolist() == [0, 10, 20]  # 2-frame piece joins the 8
    assert dc.merge_short(np.array([0, 3, 5, 20]), 3).tolist() == [0, 5, 20]  # ... or the 3 before it
    assert dc.merge_short(np.array([0, 1, 10]), 3).tolist() == [0, 10]
    assert dc.merge_short(np.array([0, 2]), 3).tolist() == [0, 2]  # the edges always stay


def test_span_embeddings_are_part_means():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    emb = dc.span_embeddings(x, np.array([0, 4]), np.array([4, 5]), pieces=2)
    first = np.array([1.0, 2.0, 5.0, 6.0])  # means of frames 0-1 and 2-3
    assert np.allclose(emb[0], first / np.linalg.norm(first))
    short = np.array([8.0, 9.0, 8.0, 9.0])  # one frame: both parts take it
    assert np.allclose(emb[1], short / np.linalg.norm(short))


def test_config_checks_itself():
    """A library caller's bad value is the project's error naming the option (or the field no
    option sets), never a ValueError that would escape the command line as a traceback."""
    with pytest.raises(SpokenW2VError, match="^--window must be a positive number of seconds, found 0.0$"):
        dc.DiscoverConfig(window=0.0)
    with pytest.raises(SpokenW2VError, match=r"^--silence must be in \[0, 1\), found 1.0$"):
        dc.DiscoverConfig(silence=1.0)
    with pytest.raises(SpokenW2VError, match=r"^--max-word must exceed --min-word \(0.5\), found 0.4$"):
        dc.DiscoverConfig(min_word=0.5, max_word=0.4)
    with pytest.raises(SpokenW2VError, match="^DiscoverConfig.max_span must be at least 1, found 0$"):
        dc.DiscoverConfig(max_span=0)


# --------------------------------------------------------------------------- boundary F1 against known change points


def run(feats: Ragged, **kw) -> dc.Discovery:
    return dc.discover(lambda: [feats], dc.DiscoverConfig(**kw))


@pytest.mark.parametrize("method, prominence, least", [("prominence", 0.8, 0.9), ("eskmeans", 0.05, 0.85)])
def test_boundaries_of_continuous_words_are_found(method, prominence, least):
    feats, gold = synthetic_words()
    found = run(feats, method=method, prominence=prominence, candidate_prominence=0.1, window=0.06, smooth=0.0,
                distance=0.06, min_word=0.1, clusters=8, penalty=5.0)
    b = boundary_scores(gold, found.segments, 0.02)
    assert b.f1 >= least, b
    # a segmenter that ignores the frames (evenly spaced cuts, as many words) scores far lower
    rows = []
    for utt, r in gold.by_utterance().items():
        cuts = np.linspace(gold.start[r[0]], gold.end[r[-1]], len(r) + 1)
        rows += [(utt, a, e) for a, e in zip(cuts[:-1], cuts[1:])]
    even = Segments([r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    assert boundary_scores(gold, even, 0.02).f1 < 0.6


def test_eskmeans_clusters_are_word_types_and_beat_loose_peaks():
    feats, gold = synthetic_words(n_utts=40)
    loose = run(feats, method="prominence", prominence=0.05, window=0.06, smooth=0.0, distance=0.06, min_word=0.1)
    es = run(feats, method="eskmeans", prominence=0.05, candidate_prominence=0.1, window=0.06, smooth=0.0,
             distance=0.06, min_word=0.1, clusters=8, penalty=5.0)
    assert boundary_scores(gold, es.segments).f1 > boundary_scores(gold, loose.segments).f1 + 0.2
    assert token_scores(gold, es.segments).f1 >= 0.9
    # tokens of one word type fall mostly into one cluster (purity over exactly found tokens)
    key = {(u, round(s, 3)): w for u, s, w in zip(gold.utt, gold.start, gold.word)}
    pairs = [(key[(u, round(s, 3))], c) for u, s, c in zip(es.segments.utt, es.segments.start, es.segments.word)
             if (u, round(s, 3)) in key]
    words = {w for w, _ in pairs}
    purity = sum(max(sum(1 for w2, c2 in pairs if w2 == w and c2 == c) for c in {c for _, c in pairs})
                 for w in words) / len(pairs)
    assert purity >= 0.9


def test_pauses_and_edges_are_boundaries():
    feats, gold = synthetic_words(pause=True, noise=0.3)
    found = run(feats, prominence=0.8, window=0.06, smooth=0.0, distance=0.1, min_word=0.1, clusters=8)
    seg = found.segments
    assert boundary_scores(gold, seg, 0.02).f1 >= 0.9
    for utt, rows in gold.by_utterance().items():  # no word starts in the leading silence
        mine = seg.by_utterance()[utt]
        assert abs(seg.start[mine[0]] - gold.start[rows[0]]) <= 0.02
        assert abs(seg.end[mine[-1]] - gold.end[rows[-1]]) <= 0.02
    # without pause detection the leading silence becomes part of the first word
    off = run(feats, prominence=0.8, window=0.06, smooth=0.0, distance=0.1, min_word=0.1, clusters=8, silence=0.0)
    assert off.segments.start[0] == 0.0


def test_same_seed_same_output_and_cluster_ids():
    feats, _ = synthetic_words(n_utts=12)
    kw = dict(method="eskmeans", clusters=5, prominence=0.3, candidate_prominence=0.1, seed=3)
    a, b = run(feats, **kw), run(feats, **kw)
    assert a.segments.utt == b.segments.utt and a.segments.word == b.segments.word
    assert np.array_equal(a.segments.start, b.segments.start) and np.array_equal(a.segments.end, b.segments.end)
    assert all(re.fullmatch(r"c\d{5}", w) for w in a.segments.word)
    assert len(set(a.segments.word)) <= 5


# --------------------------------------------------------------------------- command line


@pytest.fixture()
def corpus(tmp_path):
    feats, gold = synthetic_words(n_utts=10, pause=True)
    write_features(tmp_path / "f.npz", feats)
    write_segments(tmp_path / "gold.tsv", gold)
    return tmp_path


def test_cli_writes_a_segments_tsv_that_reads_back(corpus):
    out = corpus / "d.tsv"
    r = invoke("discover", corpus / "f.npz", "-o", out, "--clusters", 4, "--gold", corpus / "gold.tsv",
               "--prominence", 0.5, "--window", 0.06)
    assert r.exit_code == 0, r.output
    assert "boundary P" in r.output and "F1" in r.output
    seg = read_segments(out)
    assert seg.word is not None and all(re.fullmatch(r"c\d{5}", w) for w in seg.word)
    assert not set(seg.word) & set(read_segments(corpus / "gold.tsv").word)  # never a transcript word
    direct = run(write_and_read(corpus), clusters=4, prominence=0.5, window=0.06).segments
    assert seg.utt == direct.utt and seg.word == direct.word
    assert np.allclose(seg.start, direct.start, atol=1e-4) and np.allclose(seg.end, direct.end, atol=1e-4)
    again = corpus / "e.tsv"
    invoke("discover", corpus / "f.npz", "-o", again, "--clusters", 4, "--prominence", 0.5, "--window", 0.06)
    assert again.read_bytes() == out.read_bytes()  # --gold only prints


def write_and_read(corpus) -> Ragged:
    from spokenw2v.io import read_features

    return read_features(corpus / "f.npz")


def test_cli_reads_units(tmp_path):
    rng = np.random.default_rng(0)
    units = [np.repeat(rng.integers(0, 6, 8), rng.integers(3, 8, 8)) for _ in range(4)]
    info = FrameInfo(RATE, 0.01, 0.025, "mfcc")
    write_units(tmp_path / "u.npz", Ragged.from_list([f"u{i}" for i in range(4)], units,
                                                     [len(x) / RATE for x in units], info), 6, "cb.npz", "x")
    r = invoke("discover", "--units", tmp_path / "u.npz", "-o", tmp_path / "d.tsv", "--clusters", 3)
    assert r.exit_code == 0, r.output
    assert set(read_segments(tmp_path / "d.tsv").utt) == {f"u{i}" for i in range(4)}


@pytest.mark.parametrize("args, needle", [
    ([], "exactly one"),
    (["F", "--units", "F"], "exactly one"),
    (["F", "--window", "0"], "--window"),
    (["F", "--silence", "1"], "--silence"),
    (["F", "--clusters", "0"], "--clusters"),
    (["F", "--min-word", "2"], "--max-word must exceed --min-word (2.0), found 1.2"),
    (["F", "--lm-weight", "-1"], "--lm-weight"),
    (["F", "--duration-weight", "nan"], "--duration-weight"),
    (["gold.tsv"], "gold.tsv"),
    (["F", "--gold", "missing.tsv"], "missing.tsv"),
    (["F", "--gold", "f.npz"], "f.npz"),
])
def test_cli_errors_are_one_line(corpus, args, needle):
    args = [corpus / "f.npz" if a == "F" else corpus / a if a.endswith((".tsv", ".npz")) else a for a in args]
    out = corpus / "d.tsv"
    r = invoke("discover", *args, "-o", out)
    assert_one_error_line(r, needle)
    assert not out.exists()


def test_sharding_does_not_change_the_result_and_the_fit_is_bounded():
    feats, _ = synthetic_words(n_utts=12)
    halves = [Ragged.from_list(feats.utt_ids[a:b], [feats[i] for i in range(a, b)], feats.durations[a:b], feats.info)
              for a, b in ((0, 5), (5, 12))]
    kw = dc.DiscoverConfig(clusters=5, fit_utterances=4)
    whole, split = dc.discover(lambda: [feats], kw), dc.discover(lambda: halves, kw)
    assert whole.fit_utterances == split.fit_utterances == 4
    assert whole.segments.word == split.segments.word and np.array_equal(whole.segments.start, split.segments.start)
    assert set(whole.segments.utt) == set(feats.utt_ids) and whole.utterances == feats.utt_ids


# --------------------------------------------------------------------------- the lexicon method


def phone_words(n_utts: int = 40, n_phones: int = 6, n_types: int = 6, dim: int = 8, seed: int = 0,
                noise: float = 0.4):
    """Utterances of planted recurring words built from a small shared phone inventory (each
    word type 2-3 phones of 0.1-0.14 s, Zipfian word frequencies), so the change score fires
    at phone changes inside words as strongly as at word edges: only recurrence tells words
    from fragments.  Returns (Ragged features, gold Segments)."""
    rng = np.random.default_rng(seed)
    phones = rng.normal(0, 1.5, size=(n_phones, dim))
    lexicon = [rng.integers(n_phones, size=rng.integers(2, 4)) for _ in range(n_types)]
    freq = 1.0 / np.arange(1, n_types + 1)
    freq /= freq.sum()
    utts, arrays, durs, rows = [], [], [], []
    for u in range(n_utts):
        frames: list[np.ndarray] = []
        for _ in range(rng.integers(5, 9)):
            w = int(rng.choice(n_types, p=freq))
            start = len(frames)
            for p in lexicon[w]:
                frames += [phones[p]] * int(rng.integers(5, 8))
            rows.append((f"u{u:03d}", start / RATE, len(frames) / RATE, f"w{w}"))
        x = np.asarray(frames) + rng.normal(0, noise, size=(len(frames), dim))
        utts.append(f"u{u:03d}")
        arrays.append(x.astype(np.float32))
        durs.append(len(x) / RATE)
    info = FrameInfo(RATE, 0.5 / RATE, 0.025, "hubert")
    gold = Segments([r[0] for r in rows], np.array([r[1] for r in rows]), np.array([r[2] for r in rows]),
                    [r[3] for r in rows])
    return Ragged.from_list(utts, arrays, durs, info), gold


def test_log_prior_and_lexicon_costs_by_hand():
    from spokenw2v.segment_lm import lexicon_costs, log_prior

    assert np.allclose(log_prior(np.array([3, 1]), 1.0), np.log([4 / 6, 2 / 6]))
    centroids = np.array([[1.0, 0.0], [0.8, 0.6]])
    emb = np.array([[0.9, 0.436]]) / np.linalg.norm([0.9, 0.436])  # a little nearer type 1
    frames = np.array([4])
    prior = np.log([0.9, 0.1])
    _, plain = lexicon_costs(emb, frames, centroids, prior, penalty=0.0, weight=0.0)
    cost, kind = lexicon_costs(emb, frames, centroids, prior, penalty=2.0, weight=1.0)
    assert plain.tolist() == [1] and kind.tolist() == [0]  # the frequent type wins
    sq = float(np.square(emb[0] - centroids[0]).sum())
    assert cost[0] == pytest.approx(4 * sq - np.log(0.9) + 2.0, rel=1e-5)
    duration = np.log([0.01, 0.01, 0.01, 0.01, 0.96])
    longer, _ = lexicon_costs(emb, frames, centroids, prior, 2.0, 1.0, duration, duration_weight=1.0)
    assert longer[0] == pytest.approx(cost[0] - np.log(0.96), rel=1e-5)


def test_lexicon_finds_recurring_words_that_eskmeans_splits():
    es_f1, lex_f1 = [], []
    for seed in range(4):
        feats, gold = phone_words(seed=seed)
        kw = dict(prominence=0.05, window=0.06, distance=0.06, min_word=0.06, clusters=12)
        es_f1.append(token_scores(gold, run(feats, method="eskmeans", **kw).segments).f1)
        lex_f1.append(token_scores(gold, run(feats, method="lexicon", lm_weight=3.0, **kw).segments).f1)
    assert np.mean(lex_f1) > np.mean(es_f1) + 0.15, (es_f1, lex_f1)


def test_lexicon_same_seed_same_output():
    feats, _ = phone_words(n_utts=12)
    kw = dict(method="lexicon", clusters=6, prominence=0.3, seed=2, duration_weight=1.0)
    a, b = run(feats, **kw), run(feats, **kw)
    assert a.segments.word == b.segments.word and np.array_equal(a.segments.start, b.segments.start)
    with pytest.raises(SpokenW2VError, match="^--lm-weight must be at least 0"):
        dc.DiscoverConfig(lm_weight=-1.0)
    with pytest.raises(SpokenW2VError, match="^DiscoverConfig.lm_alpha must be above 0"):
        dc.DiscoverConfig(lm_alpha=0.0)


def test_cli_lexicon_method(corpus):
    out = corpus / "d.tsv"
    r = invoke("discover", corpus / "f.npz", "-o", out, "--clusters", 4, "--method", "lexicon", "--lm-weight", 2,
               "--duration-weight", 0.5)
    assert r.exit_code == 0, r.output
    assert "lexicon" in r.output
    direct = run(write_and_read(corpus), method="lexicon", clusters=4, lm_weight=2.0, duration_weight=0.5).segments
    assert read_segments(out).word == direct.word
