"""The controls beside metrics A and B: partial correlations, A per relation, null rows, the
dev/test split, seed groups and the authors' test-set protocol."""

import collections
import json
import math

import numpy as np
import pytest
import torch
from scipy.stats import pearsonr
from typer.testing import CliRunner

from spokenw2v import evaluate as ev
from spokenw2v.cli import app
from spokenw2v.runs import group_row, seed_groups
from spokenw2v.data import char_stream
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import TestSet, read_tsv, write_corpus, write_test_set, write_vectors
from spokenw2v.config import TrainConfig
from spokenw2v.monitor import Evaluator
from spokenw2v.train import NeuralTrainer
from helpers import assert_one_error_line, EDIT_D, MODEL, MODEL_D, PAIRS, REF, REF_D, generated_sentences, gensim_vectors

runner = CliRunner()


# --------------------------------------------------------------------------- partial correlation


def test_partial_correlation_worked_by_hand():
    # x = 1 2 3 4, y = 1 3 2 4, z = 1 1 2 2.  Within each z group the residuals are x: -.5 +.5,
    # y: -1 +1, so the partial r is exactly 1, although r(x, y) is only 0.8.
    x, y, z = np.array([1.0, 2, 3, 4]), np.array([1.0, 3, 2, 4]), np.array([1.0, 1, 2, 2])
    assert ev.pearson(x, y) == pytest.approx(0.8)
    np.testing.assert_allclose(ev.residuals(x, z), [-0.5, 0.5, -0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(ev.residuals(y, z), [-1, 1, -1, 1], atol=1e-12)
    assert ev.partial_correlation(x, y, z) == pytest.approx(1.0)
    # the textbook formula agrees: r_xz = 2/sqrt(5), r_yz = 1/sqrt(5) -> (0.8 - 0.4) / sqrt(0.2 * 0.8) = 1
    rxz, ryz = 2 / math.sqrt(5), 1 / math.sqrt(5)
    assert (0.8 - rxz * ryz) / math.sqrt((1 - rxz ** 2) * (1 - ryz ** 2)) == pytest.approx(1.0)


def test_partial_correlation_matches_the_formula_on_noisy_data():
    rng = np.random.default_rng(0)
    z = rng.normal(size=200)
    x, y = z + rng.normal(size=200), z + 0.5 * rng.normal(size=200)
    rxy, rxz, ryz = pearsonr(x, y)[0], pearsonr(x, z)[0], pearsonr(y, z)[0]
    expected = (rxy - rxz * ryz) / math.sqrt((1 - rxz ** 2) * (1 - ryz ** 2))
    assert ev.partial_correlation(x, y, z) == pytest.approx(expected, abs=1e-10)
    assert expected < rxy - 0.2  # the shared covariate carried much of r(x, y)
    # a variable that is a linear function of the covariates has nothing left: 0, not noise
    assert ev.partial_correlation(3 * z + 1, y, z) == 0.0
    assert ev.partial_correlation(x, y, np.column_stack([z, x])) == 0.0


# --------------------------------------------------------------------------- controls on the toy

FREQS = {"cat": 100, "cap": 10, "dog": 50, "cart": 5, "bat": 20}


def toy_with_frequencies():
    return TestSet(PAIRS.word1, PAIRS.word2, PAIRS.relation, 0, {}, [FREQS[w] for w in PAIRS.word1],
                   [FREQS[w] for w in PAIRS.word2], ["test"] * 5)


def test_controls_on_the_toy_by_hand():
    m = ev.paper_metrics(MODEL, REF, toy_with_frequencies())
    # A per relation: two semantic pairs -> r = -1 (model H,1 vs ref 1,H); one random pair -> NaN
    assert m["A_sem"] == pytest.approx(-1.0)
    assert m["A_orth"] == pytest.approx(pearsonr(MODEL_D[2:4], REF_D[2:4])[0])
    assert math.isnan(m["A_rand"])
    d_freq = np.abs(np.log([100 / 10, 100 / 50, 100 / 5, 100 / 20, 50 / 10]))
    np.testing.assert_allclose(ev.log_frequency_distances([100, 100, 100, 100, 50], [10, 50, 5, 20, 10]), d_freq)
    cov = np.column_stack([EDIT_D, d_freq])
    assert m["A_partial"] == pytest.approx(ev.partial_correlation(MODEL_D, REF_D, cov), abs=1e-6)
    assert m["B_partial"] == pytest.approx(ev.partial_correlation(MODEL_D, EDIT_D, REF_D), abs=1e-6)
    # a test set without frequencies has no A_partial (and cannot give the frequency null)
    assert math.isnan(ev.paper_metrics(MODEL, REF, PAIRS)["A_partial"])
    with pytest.raises(SpokenW2VError, match="frequencies"):
        ev.null_metrics(REF, PAIRS, ev.Null.FREQUENCY)


def test_null_rows_on_the_toy():
    ts = toy_with_frequencies()
    freq = ev.null_metrics(REF, ts, ev.Null.FREQUENCY)
    d_freq = ev.log_frequency_distances(ts.freq1, ts.freq2)
    assert freq["A"] == pytest.approx(pearsonr(d_freq, REF_D)[0], abs=1e-6)
    assert freq["A_partial"] == 0.0  # its distance is one of the covariates
    spell = ev.null_metrics(REF, ts, ev.Null.SPELLING, bootstrap=50)
    assert spell["B"] == pytest.approx(1.0) and spell["A_partial"] == 0.0
    assert spell["A_partial_low"] == spell["A_partial_high"] == 0.0
    assert spell["A"] == pytest.approx(pearsonr(EDIT_D, REF_D)[0], abs=1e-6)
    rnd = ev.null_metrics(REF, ts, ev.Null.RANDOM, seed=3)
    assert rnd["A"] == ev.null_metrics(REF, ts, ev.Null.RANDOM, seed=3)["A"]
    assert rnd["A"] != ev.null_metrics(REF, ts, ev.Null.RANDOM, seed=4)["A"]


# --------------------------------------------------------------------------- on a generated corpus


@pytest.fixture(scope="module")
def corpus():
    return generated_sentences()


@pytest.fixture(scope="module")
def models(corpus):
    return gensim_vectors(corpus, 1), gensim_vectors(corpus, 2)


def draw(reference, corpus, seed=0, **kw):
    return ev.build_test_set(reference, ev.word_frequencies(corpus), **{
        "n_frequent": 80, "skip_top": 10, "n_test": 30, "seed": seed, **kw})


def test_split_halves_frequencies_and_seed(corpus, models):
    ref, other = models
    ts = draw(ref, corpus)
    freqs = ev.word_frequencies(corpus)
    assert ts.freq1 == [freqs[w] for w in ts.word1] and ts.freq2 == [freqs[w] for w in ts.word2]
    half = {}
    for w, s in zip(ts.word1, ts.split):
        assert half.setdefault(w, s) == s  # a test word's pairs are all in one half
    assert collections.Counter(half.values()) == {"dev": 15, "test": 15}
    assert (ts.params["split_dev"], ts.params["split_test"]) == ("15", "15")
    again, other_seed = draw(ref, corpus), draw(ref, corpus, seed=1)
    assert again.split == ts.split and other_seed.split != ts.split
    dev = ev.paper_metrics(other, ref, ts, split=ev.Split.DEV)
    test = ev.paper_metrics(other, ref, ts, split=ev.Split.TEST)
    both = ev.paper_metrics(other, ref, ts, split=ev.Split.ALL)
    assert dev["pairs"] + test["pairs"] == both["pairs"] == len(ts)
    assert dev["A"] != test["A"]
    # a model on its own reference: A = 1 on every split; the nulls stay far below a real model
    assert ev.paper_metrics(ref, ref, ts, split=ev.Split.TEST)["A_partial"] == pytest.approx(1.0)
    for null in ev.Null:
        assert ev.null_metrics(ref, ts, null, split=ev.Split.TEST)["A_partial"] < test["A_partial"] - 0.3


def test_a_split_with_no_words_is_an_error(corpus, models):
    ref = models[0]
    ts = draw(ref, corpus, n_test=1)
    assert ts.split[0] == "test"
    with pytest.raises(SpokenW2VError, match="no pairs in the dev split"):
        ev.paper_metrics(ref, ref, ts, split=ev.Split.DEV)


def test_authors_protocol(corpus, models):
    ref = models[0]
    freqs = ev.word_frequencies(corpus)
    ranked = ev.ranked_words(freqs)
    ts = draw(ref, corpus, protocol=ev.Protocol.AUTHORS, skip_top=40, n_frequent=60)
    tests = set(ts.word1)
    pool = {w for w in ranked[:60] if w in ref}
    assert tests <= set(ranked[40:60])  # the true top-40 skip (paper protocol would cap it at a tenth)
    randoms = [b for b, r in zip(ts.word2, ts.relation) if r == "random"]
    assert randoms and set(randoms) <= pool - tests
    paper = draw(ref, corpus, skip_top=40, n_frequent=60)
    assert paper.params["skip_used"] == str(min(40, len(ranked) // 10)) and ts.params["skip_used"] == "40"
    assert ts.params["protocol"] == "authors" and paper.params["protocol"] == "paper"


# --------------------------------------------------------------------------- best.pt on dev


def test_best_checkpoint_is_chosen_on_the_dev_split(tmp_path, corpus):
    sentences = corpus[:300]
    stream = char_stream(sentences)
    ref = gensim_vectors(sentences, 1)
    evaluator = Evaluator.build(ref, sentences, seed=0)
    evaluator.test_set = draw(ref, sentences)
    cfg = TrainConfig(vocab_size=stream.vocab_size, symbols=stream.symbols, embed_dim=8, hidden=8, dim=16,
                      negatives=5, pool_size=64, batch_tokens=64, window=2, warmup=0, epochs=3).resolved()
    result = NeuralTrainer(stream, cfg, torch.device("cpu"), tmp_path, evaluator=evaluator).run()
    dev = [float(r["dev_A"]) for r in result.rows]
    assert result.best_epoch == int(np.argmax(dev))
    header, rows = read_tsv(tmp_path / "metrics.tsv", ["A", "dev_A", "A_partial", "A_sem"])
    assert float(rows[-1][1]["dev_A"]) == pytest.approx(dev[-1], abs=1e-5)
    assert rows[-1][1]["A"] != rows[-1][1]["dev_A"]


# --------------------------------------------------------------------------- seed groups


def test_seed_groups_and_their_mean_and_sd():
    names = ["text", "e2e.seed0", "e2e.seed1", "e2e.seed2", "solo-seed0", "two-stage-seed3", "two-stage-seed4"]
    assert seed_groups(names) == {"e2e": [1, 2, 3], "two-stage": [5, 6]}
    members = [{"model": f"e2e.seed{i}", "A": a, "A_partial": a / 2, "A_sem": 0.1, "A_orth": 0.2, "A_rand": 0.3,
                "B": 0.5, "B_partial": float("nan"), "coverage": 1.0} for i, a in enumerate([0.2, 0.4, 0.6])]
    row = group_row("e2e", members)
    assert row["A"] == pytest.approx(0.4) and row["A_sd"] == pytest.approx(0.2)  # sample sd of .2 .4 .6
    assert row["A_partial"] == pytest.approx(0.2) and row["A_partial_sd"] == pytest.approx(0.1)
    assert row["A_sem_sd"] == pytest.approx(0.0) and math.isnan(row["B_partial"])
    assert row["seeds"] == 3 and row["members"] == ["e2e.seed0", "e2e.seed1", "e2e.seed2"]


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def files(tmp_path_factory, corpus, models):
    d = tmp_path_factory.mktemp("controls")
    write_corpus(d / "corpus.txt", corpus)
    write_vectors(d / "ref.vec", models[0])
    for i, seed in enumerate((2, 3, 4)):
        (d / f"run.seed{i}").mkdir()
        write_vectors(d / f"run.seed{i}" / "vectors.vec", gensim_vectors(corpus[:1500], seed))
    return d


def _eval(files, *args):
    runs = [str(files / f"run.seed{i}" / "vectors.vec") for i in range(3)]
    return runner.invoke(app, ["evaluate", *runs, "--reference", str(files / "ref.vec"), "--n-frequent", "80",
                               "--skip-top", "10", "--n-test", "30", "--bootstrap", "50", "--no-benchmarks",
                               "--quiet", *args])


def test_evaluate_prints_controls_nulls_and_seed_groups(files):
    r = _eval(files, "--corpus", str(files / "corpus.txt"), "--save-test-set", str(files / "ts.tsv"),
              "--tsv", str(files / "a.tsv"), "--json", str(files / "a.json"))
    assert r.exit_code == 0, r.output
    for text in ("test split", "A_partial", "A_sem", "A_orth", "A_rand", "B_partial", "null:frequency",
                 "null:spelling", "null:random", "run (3 seeds)", "±"):
        assert text in r.stdout, text
    header, rows = read_tsv(files / "a.tsv", ["model", "row", "split", "A_partial", "A_sd", "seeds"])
    assert [(row["model"], row["row"]) for _, row in rows] == [
        ("run.seed0", "model"), ("run.seed1", "model"), ("run.seed2", "model"), ("run", "seeds"),
        ("null:frequency", "null"), ("null:spelling", "null"), ("null:random", "null")]
    a = [float(rows[i][1]["A"]) for i in range(3)]
    assert float(rows[3][1]["A"]) == pytest.approx(np.mean(a), abs=1e-5)
    assert float(rows[3][1]["A_sd"]) == pytest.approx(np.std(a, ddof=1), abs=1e-5)
    assert rows[4][1]["split"] == "test"
    doc = json.loads((files / "a.json").read_text())
    assert doc["test_set"]["split"] == "test" and doc["test_set"]["protocol"] == "paper"
    assert [n["model"] for n in doc["nulls"]] == ["null:frequency", "null:spelling", "null:random"]
    assert doc["nulls"][1]["B"] == pytest.approx(1.0)
    assert doc["seed_groups"][0]["members"] == ["run.seed0", "run.seed1", "run.seed2"]
    assert doc["models"][0]["pairs"] == 300  # the 15 test words of 30, 20 pairs each
    # the saved test set reproduces every row with no corpus
    r = _eval(files, "--test-set", str(files / "ts.tsv"), "--tsv", str(files / "b.tsv"))
    assert r.exit_code == 0, r.output
    assert (files / "a.tsv").read_text() == (files / "b.tsv").read_text()
    # the dev split gives other numbers on other words
    r = _eval(files, "--test-set", str(files / "ts.tsv"), "--tsv", str(files / "dev.tsv"), "--split", "dev")
    assert r.exit_code == 0, r.output
    _, dev = read_tsv(files / "dev.tsv", ["A", "split"])
    assert dev[0][1]["split"] == "dev" and dev[0][1]["A"] != rows[0][1]["A"]


def test_old_test_set_says_how_to_regenerate(files, tmp_path):
    old = "# spokenw2v test set\n# seed=0\nword1\tword2\trelation\ndog\tcat\tsemantic\n"
    (tmp_path / "old.tsv").write_text(old)
    r = _eval(files, "--test-set", str(tmp_path / "old.tsv"))
    assert_one_error_line(r, "old.tsv", "regenerate it: spokenw2v evaluate", "--save-test-set old.tsv")


def test_write_test_set_refuses_a_set_without_frequencies(tmp_path):
    with pytest.raises(SpokenW2VError, match="frequencies"):
        write_test_set(tmp_path / "t.tsv", PAIRS)
    assert not (tmp_path / "t.tsv").exists()
