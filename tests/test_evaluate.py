"""Test sets, metrics A/B, word similarity, neighbours and the ``evaluate`` command."""

import collections
import json

import numpy as np
import pytest
from scipy.stats import pearsonr, spearmanr
from typer.testing import CliRunner

from spokenw2v import evaluate as ev
from spokenw2v.evaluate.testset import smallest_k_stable
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import (SimilarityPairs, TestSet, WordVectors, read_similarity_pairs, read_test_set, read_tsv,
                          write_corpus, write_segments, write_test_set, write_vectors, Segments)

from helpers import assert_one_error_line, EDIT_D, MODEL, MODEL_D, PAIRS, REF, REF_D, generated_sentences, gensim_vectors

runner = CliRunner()

# --------------------------------------------------------------------------- a five-word toy



def test_toy_distances_by_hand():
    idx = lambda wv, ws: np.array([wv.index[w] for w in ws])  # noqa: E731
    np.testing.assert_allclose(ev.cosine_distances(REF, idx(REF, PAIRS.word1), idx(REF, PAIRS.word2)), REF_D,
                               atol=1e-7)
    np.testing.assert_allclose(ev.cosine_distances(MODEL, idx(MODEL, PAIRS.word1), idx(MODEL, PAIRS.word2)),
                               MODEL_D, atol=1e-7)
    np.testing.assert_allclose(ev.edit_distances(PAIRS.word1, PAIRS.word2), EDIT_D, atol=1e-12)


def test_toy_metrics_match_scipy_on_the_hand_computed_numbers():
    m = ev.paper_metrics(MODEL, REF, PAIRS)
    assert m["A"] == pytest.approx(pearsonr(MODEL_D, REF_D)[0], abs=1e-6)
    assert m["A_spearman"] == pytest.approx(spearmanr(MODEL_D, REF_D)[0], abs=1e-6)
    assert m["B"] == pytest.approx(pearsonr(MODEL_D, EDIT_D)[0], abs=1e-6)
    assert m["B_spearman"] == pytest.approx(spearmanr(MODEL_D, EDIT_D)[0], abs=1e-6)
    assert m["coverage"] == 1.0
    # By hand: sum(dx*dy) = -0.20000, sum(dx^2) = 0.55147, sum(dy^2) = 2.24851 -> r = -0.1796.
    assert m["A"] == pytest.approx(-0.1796, abs=1e-4)


def test_coverage_counts_pairs_with_a_missing_word():
    ts = TestSet(PAIRS.word1 + ["cat"], PAIRS.word2 + ["zebra"], PAIRS.relation + ["random"], 0)
    m = ev.paper_metrics(MODEL, REF, ts)
    assert m["coverage"] == pytest.approx(5 / 6)
    assert m["A"] == pytest.approx(ev.paper_metrics(MODEL, REF, PAIRS)["A"], abs=1e-12)
    with pytest.raises(SpokenW2VError, match="no test pair"):
        ev.paper_metrics(WordVectors(["zebra"], np.ones((1, 2), np.float32)), REF, PAIRS)


def test_pearson_and_spearman_helpers():
    assert ev.pearson(np.array([1.0, 2, 3]), np.array([2.0, 4, 6.5])) == pytest.approx(
        pearsonr([1, 2, 3], [2, 4, 6.5])[0])
    assert np.isnan(ev.pearson(np.array([1.0, 1, 1]), np.array([1.0, 2, 3])))
    assert ev.spearman(np.array([1.0, 5, 3]), np.array([10.0, 30, 20])) == pytest.approx(1.0)


# --------------------------------------------------------------------------- a generated corpus

@pytest.fixture(scope="module")
def corpus():
    return generated_sentences()


@pytest.fixture(scope="module")
def two_models(corpus):
    return gensim_vectors(corpus, 1), gensim_vectors(corpus, 2)


def small_test_set(reference, corpus, seed=0):
    return ev.build_test_set(reference, ev.word_frequencies(corpus), n_frequent=80, skip_top=10, n_test=30,
                             seed=seed)


def test_word_frequencies():
    freqs = ev.word_frequencies([["a", "b", "a"], ["b", "a"]])
    assert freqs == collections.Counter({"a": 3, "b": 2})


def test_test_set_structure_matches_brute_force(corpus, two_models):
    ref = two_models[0]
    freqs = ev.word_frequencies(corpus)
    ts = small_test_set(ref, corpus)
    words = ts.test_words()
    assert len(words) == 30 and len(ts) == 30 * 20
    ranked = sorted(freqs, key=lambda w: (-freqs[w], w))
    skip = min(10, len(ranked) // 10)
    assert set(words) <= set(ranked[skip:80]) and not set(words) & set(ranked[:skip])
    unit = ref.vectors / np.linalg.norm(ref.vectors, axis=1, keepdims=True)
    for w in words[:5]:
        rows = [i for i in range(len(ts)) if ts.word1[i] == w]
        sem = [ts.word2[i] for i in rows if ts.relation[i] == "semantic"]
        ort = [ts.word2[i] for i in rows if ts.relation[i] == "orthographic"]
        rnd = [ts.word2[i] for i in rows if ts.relation[i] == "random"]
        assert len(sem) == 5 and len(ort) == 5 and len(rnd) == 10
        assert w not in sem + ort + rnd and len(set(rnd)) == 10
        sims = unit @ unit[ref.index[w]]
        brute = [ref.words[i] for i in np.argsort(-sims) if ref.words[i] != w][:5]
        assert sem == brute
        # orthographic: smallest normalized Levenshtein distance, ties broken by frequency rank.
        dist = ev.edit_distances([w] * len(ranked), ranked)
        brute = [ranked[i] for i in np.argsort(dist, kind="stable") if ranked[i] != w][:5]
        assert ort == brute


def test_small_corpus_uses_what_exists(two_models, corpus):
    ref = two_models[0]
    ts = ev.build_test_set(ref, ev.word_frequencies(corpus), n_test=2000, seed=0)  # defaults 5000/200
    vocab = len(ev.word_frequencies(corpus))
    assert ts.params["skip_used"] == str(vocab // 10)
    assert len(ts.test_words()) == vocab - vocab // 10
    with pytest.raises(SpokenW2VError, match="reference model"):
        ev.build_test_set(ref, collections.Counter({"unknownword": 3}))


def test_same_seed_same_test_set_same_numbers(corpus, two_models):
    ref, other = two_models
    a = small_test_set(ref, corpus, seed=7)
    b = small_test_set(ref, corpus, seed=7)
    c = small_test_set(ref, corpus, seed=8)
    assert (a.word1, a.word2, a.relation) == (b.word1, b.word2, b.relation)
    assert a.word1 != c.word1
    ma = ev.paper_metrics(other, ref, a, bootstrap=200, seed=3)
    mb = ev.paper_metrics(other, ref, b, bootstrap=200, seed=3)
    assert ma == mb


def test_model_against_itself_gives_one(corpus, two_models):
    ref = two_models[0]
    m = ev.paper_metrics(ref, ref, small_test_set(ref, corpus), bootstrap=100)
    assert m["A"] == pytest.approx(1.0, abs=1e-12)
    assert m["A_spearman"] == pytest.approx(1.0, abs=1e-12)
    assert m["A_low"] == pytest.approx(1.0, abs=1e-9) and m["A_high"] == pytest.approx(1.0, abs=1e-9)


def test_two_seeds_give_a_high_but_imperfect_ceiling(corpus, two_models):
    ref, other = two_models
    ts = small_test_set(ref, corpus)
    m = ev.paper_metrics(other, ref, ts, bootstrap=500)
    assert 0.6 < m["A"] < 0.999
    assert m["A_low"] <= m["A"] <= m["A_high"] and m["A_high"] - m["A_low"] < 0.2
    assert m["B_low"] <= m["B"] <= m["B_high"]
    # A random model of the same words is far below the ceiling.
    rng = np.random.default_rng(0)
    noise = WordVectors(other.words, rng.normal(size=other.vectors.shape).astype(np.float32))
    assert abs(ev.paper_metrics(noise, ref, ts)["A"]) < 0.3


def test_test_set_round_trip(tmp_path, corpus, two_models):
    ts = small_test_set(two_models[0], corpus, seed=5)
    path = tmp_path / "ts.tsv"
    write_test_set(path, ts)
    back = read_test_set(path)
    assert (back.word1, back.word2, back.relation, back.seed, back.params) == (
        ts.word1, ts.word2, ts.relation, 5, ts.params)
    assert (back.freq1, back.freq2, back.split) == (ts.freq1, ts.freq2, ts.split)
    assert path.read_text().startswith("# spokenw2v test set\n# seed=5\n")


HEAD = "word1\tword2\trelation\tfreq1\tfreq2\tsplit\n"


@pytest.mark.parametrize("text, message", [
    ("word1\tword2\nA\tB\n", "header lacks column"),
    ("word1\tword2\trelation\ncat\tdog\trandom\n", "without the column.s. freq1, freq2, split .*regenerate it: "
                                                     "spokenw2v evaluate .*--save-test-set ts.tsv"),
    (HEAD + "cat\tdog\t3\t4\ttest\n", ":2: expected 6 tab-separated fields"),
    (HEAD + "cat\tdog\tcousin\t3\t4\ttest\n", ":2: relation must be one of"),
    (HEAD + "cat\tdog\trandom\t3\tx\ttest\n", ":2: freq2 must be a corpus count"),
    (HEAD + "cat\tdog\trandom\t0\t4\ttest\n", ":2: freq1 must be a corpus count"),
    (HEAD + "cat\tdog\trandom\t3\t4\ttrain\n", ":2: split must be one of dev, test"),
    (HEAD, "no pairs"),
    ("# seed=x\n" + HEAD + "cat\tdog\trandom\t3\t4\ttest\n", "seed"),
])
def test_test_set_that_does_not_parse(tmp_path, text, message):
    path = tmp_path / "ts.tsv"
    path.write_text(text)
    with pytest.raises(SpokenW2VError, match=message):
        read_test_set(path)


# --------------------------------------------------------------------------- word similarity, neighbours


def test_word_similarity_on_a_toy():
    wv = WordVectors(["Cat", "dog", "car"], np.array([[1, 0], [0.9, 0.1], [0, 1]], dtype=np.float32))
    pairs = SimilarityPairs("toy", ["cat", "CAT", "dog", "cat"], ["dog", "car", "car", "unicorn"],
                            np.array([9.0, 1.0, 2.0, 5.0]))
    s = ev.word_similarity(wv, pairs, min_pairs=2)
    assert s["oov"] == pytest.approx(0.25)
    assert s["pairs"] == 3
    # similarities: cat-dog 0.994, cat-car 0, dog-car 0.110 -> ranks 3,1,2 vs scores 9,1,2 -> rho 1
    assert s["spearman"] == pytest.approx(1.0)
    # by default three pairs are too few to report a correlation (and an interval)
    s = ev.word_similarity(wv, pairs)
    assert np.isnan(s["spearman"]) and np.isnan(s["low"]) and s["pairs"] == 3 and ev.MIN_SIMILARITY_PAIRS == 30


def test_word_similarity_interval_contains_rho_and_narrows_with_pairs():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]
    wv = WordVectors(words, rng.standard_normal((400, 8)).astype(np.float32))
    w1, w2 = words[:200], words[200:]
    sims = (1 - ev.cosine_distances(wv, np.arange(200), np.arange(200, 400))) + 0.3 * rng.standard_normal(200)
    wide = ev.word_similarity(wv, SimilarityPairs("s", w1[:40], w2[:40], sims[:40]))
    narrow = ev.word_similarity(wv, SimilarityPairs("s", w1, w2, sims))
    for s in (wide, narrow):
        assert s["low"] < s["spearman"] < s["high"]
    assert narrow["high"] - narrow["low"] < wide["high"] - wide["low"]
    # 1.06 / sqrt(n - 3) on Fisher's z: the half-width for n = 200 and rho = r
    z = np.arctanh(narrow["spearman"])
    assert narrow["high"] == pytest.approx(np.tanh(z + 1.96 * 1.06 / np.sqrt(197)))


def test_bundled_benchmarks_load():
    ws = read_similarity_pairs(ev.benchmark_path(ev.Benchmark.WORDSIM353))
    sl = read_similarity_pairs(ev.benchmark_path(ev.Benchmark.SIMLEX999))
    assert len(ws.word1) == 353 and len(sl.word1) == 999
    assert (ws.word1[0], ws.word2[0], ws.score[0]) == ("love", "sex", 6.77)


def test_similarity_file_with_header_and_errors(tmp_path):
    path = tmp_path / "sim.tsv"
    path.write_text("word1\tword2\tscore\ncat\tdog\t3.5\n")
    p = read_similarity_pairs(path)
    assert (p.name, p.word1, p.score.tolist()) == ("sim", ["cat"], [3.5])
    path.write_text("cat\tdog\t3.5\ncat\tcar\tlots\n")
    with pytest.raises(SpokenW2VError, match=r"sim.tsv:2: score must be a number"):
        read_similarity_pairs(path)


def test_nearest_neighbours():
    wv = WordVectors(["a", "b", "c", "d"], np.array([[1, 0], [0.9, 0.1], [0, 1], [-1, 0]], dtype=np.float32))
    nn = ev.nearest_neighbours(wv, "a", 2)
    assert [w for w, _ in nn] == ["b", "c"]
    assert nn[0][1] == pytest.approx(0.9 / np.hypot(0.9, 0.1), abs=1e-6)
    assert ev.nearest_neighbours(wv, "A", 1)[0][0] == "b"
    assert ev.nearest_neighbours(wv, "zzz") == []


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def files(tmp_path_factory, corpus, two_models):
    d = tmp_path_factory.mktemp("evaluate")
    write_corpus(d / "corpus.txt", corpus)
    write_vectors(d / "ref.vec", two_models[0])
    (d / "run").mkdir()
    write_vectors(d / "run" / "vectors.vec", two_models[1])
    return d


def _eval(files, *args):
    return runner.invoke(app, ["evaluate", str(files / "run" / "vectors.vec"), str(files / "ref.vec"),
                               "--reference", str(files / "ref.vec"), "--n-frequent", "80", "--skip-top", "10",
                               "--n-test", "30", "--bootstrap", "100", "--quiet", *args])


def test_evaluate_command_writes_tsv_json_and_reuses_the_test_set(files):
    r = _eval(files, "--corpus", str(files / "corpus.txt"), "--save-test-set", str(files / "ts.tsv"),
              "--tsv", str(files / "a.tsv"), "--json", str(files / "a.json"), "--neighbours", "dog,bread")
    assert r.exit_code == 0, r.output
    assert "run" in r.stdout and "Nearest neighbours of 'dog'" in r.stdout
    header, rows = read_tsv(files / "a.tsv", ev_columns())
    assert [row["model"] for _, row in rows] == ["run", "ref", "null:frequency", "null:spelling", "null:random"]
    assert float(rows[1][1]["A"]) == pytest.approx(1.0)
    assert 0.6 < float(rows[0][1]["A"]) < 0.999
    doc = json.loads((files / "a.json").read_text())
    assert (doc["format"], doc["version"]) == ("spokenw2v-evaluation", 1)
    assert doc["test_set"]["pairs"] == 600 and doc["test_set"]["seed"] == 0
    assert doc["models"][0]["A"] == pytest.approx(float(rows[0][1]["A"]), abs=1e-5)
    assert len(doc["neighbours"]["dog"]["run"]) == 5
    # the saved test set gives the same numbers
    r = _eval(files, "--test-set", str(files / "ts.tsv"), "--tsv", str(files / "b.tsv"))
    assert r.exit_code == 0, r.output
    assert (files / "a.tsv").read_text() == (files / "b.tsv").read_text()


def ev_columns():
    from spokenw2v.evaluate import TSV_COLUMNS

    assert TSV_COLUMNS[:10] == ["model", "A", "A_spearman", "A_low", "A_high", "B", "B_spearman", "B_low",
                                "B_high", "coverage"]
    return TSV_COLUMNS


def test_evaluate_from_a_segments_corpus(tmp_path, files, corpus):
    utt, start, end, word = [], [], [], []
    for u, sentence in enumerate(corpus):
        for i, w in enumerate(sentence):
            utt.append(f"u{u}")
            start.append(i * 0.5)
            end.append(i * 0.5 + 0.4)
            word.append(w)
    write_segments(tmp_path / "segs.tsv", Segments(utt, np.array(start), np.array(end), word))
    r = runner.invoke(app, ["evaluate", str(files / "ref.vec"), "--reference", str(files / "ref.vec"),
                            "--corpus", str(tmp_path / "segs.tsv"), "--n-frequent", "80", "--skip-top", "10",
                            "--n-test", "30", "--no-benchmarks", "--save-test-set", str(tmp_path / "s.tsv"),
                            "--quiet"])
    assert r.exit_code == 0, r.output
    r2 = _eval(files, "--corpus", str(files / "corpus.txt"), "--save-test-set", str(tmp_path / "t.tsv"))
    assert r2.exit_code == 0, r2.output
    assert (tmp_path / "s.tsv").read_text() == (tmp_path / "t.tsv").read_text()


def test_model_names():
    from pathlib import Path

    from spokenw2v.runs import run_name, unique_names

    assert unique_names([Path("runs/e2e/vectors.vec"), Path("text.vec"), Path("x/text.vec")]) == [
        "e2e", "text", "text-2"]
    assert run_name("vectors.vec") == Path.cwd().name  # the run directory is the current one
    # training curves are named the same way after their run directory's metrics.tsv
    assert unique_names(["runs/a/metrics.tsv", "b/metrics.tsv", "a.tsv", "runs/a/vectors.vec"], "metrics") == [
        "a", "b", "a-2", "vectors"]


@pytest.mark.parametrize("content, message", [
    ("3 2\na 1 2\nb 1 2\n", "header promises 3 words, file has 2"),
    ("2 3\na 1 2 3\nb 1 2\n", "bad.vec:3: expected a word and 3 numbers"),
    ("2 2\na 1 2\na 1 2\n", "bad.vec:3: duplicate word 'a'"),
    ("two 2\na 1 2\n", "bad.vec:1: expected a word2vec header"),
    ("2 2\nzz 1 2\nqq 3 1\n", "bad.vec: no test pair has both words in the model"),
])
def test_bad_vectors_give_one_line_errors(files, tmp_path, content, message):
    (tmp_path / "bad.vec").write_text(content)
    r = runner.invoke(app, ["evaluate", str(tmp_path / "bad.vec"), "--reference", str(files / "ref.vec"),
                            "--corpus", str(files / "corpus.txt"), "--n-frequent", "80", "--skip-top", "10",
                            "--n-test", "30", "--quiet"])
    assert_one_error_line(r, message)
    assert len(r.output.strip().splitlines()) == 1, r.output


def test_bad_test_set_and_reference_give_one_line_errors(files, tmp_path):
    (tmp_path / "ts.tsv").write_text(HEAD + "dog\tcat\tsemantic\t3\t4\ttest\ndog\n")
    r = runner.invoke(app, ["evaluate", str(files / "ref.vec"), "--reference", str(files / "ref.vec"),
                            "--test-set", str(tmp_path / "ts.tsv"), "--quiet"])
    assert r.exit_code == 1 and "ts.tsv:3: expected 6 tab-separated fields" in r.output
    (tmp_path / "other.vec").write_text("2 2\nzz 1 2\nqq 3 1\n")
    r = runner.invoke(app, ["evaluate", str(files / "ref.vec"), "--reference", str(tmp_path / "other.vec"),
                            "--corpus", str(files / "corpus.txt"), "--quiet"])
    assert r.exit_code == 1 and "is in the reference model" in r.output
    r = runner.invoke(app, ["evaluate", str(files / "ref.vec"), "--corpus", str(files / "corpus.txt"), "--quiet"])
    assert r.exit_code == 1 and "--reference" in r.output


def test_orthographic_selection_breaks_ties_like_a_stable_sort():
    rng = np.random.default_rng(1)
    for _ in range(20):
        dist = rng.integers(0, 4, size=(16, 200)).astype(np.float32)  # many ties
        dist[rng.integers(0, 16), rng.integers(0, 200)] = np.inf
        for k in (1, 5, 10):
            expected = np.argsort(dist, axis=1, kind="stable")[:, :k]
            np.testing.assert_array_equal(smallest_k_stable(dist, k), expected)


def test_evaluate_log_names_the_ranks_actually_used(files):
    """On a corpus smaller than --n-frequent the log gives the last rank that exists."""
    r = runner.invoke(app, ["evaluate", str(files / "ref.vec"), "--reference", str(files / "ref.vec"),
                            "--corpus", str(files / "corpus.txt"), "--n-frequent", "100000", "--bootstrap", "0",
                            "--no-benchmarks"])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    vocabulary = len({w for line in (files / "corpus.txt").read_text().split("\n") for w in line.split()})
    assert f"..{vocabulary} of {vocabulary} corpus words" in text, text


def test_a_model_whose_distances_are_all_equal_has_no_partial_correlations():
    """A 0-dimensional model (every cosine distance 1): A, B and their partial forms are all
    undefined, not a partial correlation of 0.000 that reads like a result."""
    flat = WordVectors(list(REF.words), np.zeros((len(REF), 0), dtype=np.float32))
    ts = TestSet(PAIRS.word1, PAIRS.word2, PAIRS.relation, seed=0, freq1=[5, 5, 5, 5, 9], freq2=[1, 9, 2, 3, 1],
                 split=["test"] * len(PAIRS))
    m = ev.paper_metrics(flat, REF, ts, bootstrap=20)
    for key in ("A", "B", "A_partial", "B_partial", "A_partial_low", "B_partial_high"):
        assert np.isnan(m[key]), key
