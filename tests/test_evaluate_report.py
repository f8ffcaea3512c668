"""``evaluate_vectors``: the rows of one evaluation (models, seed groups, nulls, neighbours, TSV
and JSON) for hand-made vector files whose metrics are known by hand."""

import math

import numpy as np
import pytest

from spokenw2v.errors import SpokenW2VError
from spokenw2v.evaluate import (PaperTestSet, Split, TestSetDraw, evaluate_vectors, prepare_paper_test_set,
                                similarity_sets)
from spokenw2v.io import SimilarityPairs, TestSet, read_vectors, write_test_set

# Reference: the test word a, with b at cosine distance 0, c at 1 and d at 2.
REFERENCE = "4 2\na 1 0\nb 2 0\nc 0 1\nd -1 0\n"
# The reference's own vectors (A = 1), the distances reversed (A = -1), and a model without d.
SAME = REFERENCE
REVERSED = "4 2\na 1 0\nb -1 0\nc 0 3\nd 1 0\n"
NO_D = "3 2\na 1 0\nb 1 1\nc 0 1\n"
PAIRS = TestSet(["a", "a", "a"], ["b", "c", "d"], ["semantic", "orthographic", "random"], seed=0,
                params={"protocol": "paper"}, freq1=[5, 5, 5], freq2=[4, 2, 1], split=["test"] * 3)


@pytest.fixture
def files(tmp_path):
    for name, text in (("ref.vec", REFERENCE), ("m.seed0.vec", SAME), ("m.seed1.vec", REVERSED),
                       ("no-d.vec", NO_D), ("other.vec", "2 2\nx 1 0\ny 0 1\n")):
        (tmp_path / name).write_text(text)
    return tmp_path


@pytest.fixture
def paper(files):
    return PaperTestSet(read_vectors(files / "ref.vec"), str(files / "ref.vec"), PAIRS, "hand-made", Split.TEST)


def test_rows_of_hand_made_vector_files(files, paper):
    toy = SimilarityPairs("toy", ["A", "a"], ["c", "zz"], np.array([1.0, 2.0]))
    calls = []
    report = evaluate_vectors([files / "m.seed0.vec", files / "m.seed1.vec", files / "no-d.vec"], paper,
                              similarity=[toy], neighbours=["a", "zz"], top=2,
                              progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    assert report.names == ["m.seed0", "m.seed1", "no-d"]
    same, reversed_, no_d = report.models
    assert [r["row"] for r in report.models] == ["model"] * 3 and same["split"] == "test"
    assert (same["words"], same["dim"], no_d["words"]) == (4, 2, 3)
    assert same["A"] == pytest.approx(1.0) and reversed_["A"] == pytest.approx(-1.0)
    assert same["coverage"] == 1.0 and no_d["coverage"] == pytest.approx(2 / 3)
    assert math.isnan(same["B"])  # the edit distance of a to b, c and d is always 1: no correlation
    # the toy similarity set: "A" matches a lower-cased, zz is unknown; too few pairs for a rho
    assert (same["toy_pairs"], same["toy_oov"]) == (1.0, 0.5) and math.isnan(same["toy"])

    (group,) = report.seed_groups
    assert (group["model"], group["row"], group["seeds"], group["members"]) == ("m", "seeds", 2,
                                                                                ["m.seed0", "m.seed1"])
    assert group["A"] == pytest.approx(0.0) and group["A_sd"] == pytest.approx(math.sqrt(2))

    assert [r["model"] for r in report.nulls] == ["null:frequency", "null:spelling", "null:random"]
    assert {r["row"] for r in report.nulls} == {"null"}
    assert (report.nulls[2]["words"], report.nulls[2]["dim"]) == (4, 2)  # a, b, c, d in the reference's dimension

    assert report.neighbours["a"]["m.seed0"] == [("b", pytest.approx(1.0)), ("c", pytest.approx(0.0))]
    assert report.neighbours["a"]["m.seed1"] == [("d", pytest.approx(1.0)), ("c", pytest.approx(0.0))]
    assert report.neighbours["zz"] == {"m.seed0": [], "m.seed1": [], "no-d": []}

    columns = report.tsv_columns()
    rows = report.tsv_rows()
    assert columns[-6:] == ["toy", "toy_oov", "pairs", "words", "dim", "path"]
    assert [r[columns.index("row")] for r in rows] == ["model"] * 3 + ["seeds"] + ["null"] * 3
    assert rows[3][columns.index("path")] == "" and rows[0][columns.index("path")] == str(files / "m.seed0.vec")

    doc = report.json_document()
    assert doc["reference"] == str(files / "ref.vec") and doc["bootstrap"] == 0
    assert doc["test_set"]["source"] == "hand-made" and doc["test_set"]["pairs"] == 3
    assert doc["models"][0]["B"] is None and doc["models"][1]["A"] == pytest.approx(-1.0)
    assert doc["neighbours"]["a"]["m.seed1"] == [["d", 1.0], ["c", 0.0]]


def test_without_a_test_set_there_are_no_metrics_groups_or_nulls(files):
    report = evaluate_vectors([files / "m.seed0.vec", files / "m.seed1.vec"], None, bootstrap=100)
    assert [set(r) for r in report.models] == [{"model", "row", "path", "words", "dim"}] * 2
    assert report.seed_groups == [] and report.nulls == [] and report.split == ""
    doc = report.json_document()
    assert (doc["reference"], doc["test_set"], doc["bootstrap"]) == (None, None, 0)


def test_a_model_without_a_usable_pair_is_an_error_naming_its_file(files, paper):
    with pytest.raises(SpokenW2VError, match=r"other\.vec: no test pair .* \(test set hand-made\)"):
        evaluate_vectors([files / "m.seed0.vec", files / "other.vec"], paper)


def test_prepare_reads_a_saved_test_set_and_checks_its_split(files):
    write_test_set(files / "ts.tsv", PAIRS)
    said = []
    paper = prepare_paper_test_set(files / "ref.vec", test_set=files / "ts.tsv", log=said.append)
    assert (paper.source, paper.split, len(paper.test_set)) == (str(files / "ts.tsv"), Split.TEST, 3)
    assert said == [f"Test set {files / 'ts.tsv'}: 1 test words, 3 pairs, seed 0, protocol paper (as saved); "
                    f"scoring the test split."]
    with pytest.raises(SpokenW2VError, match=r"ts\.tsv: the test set has no pairs in the dev split \(reference "):
        prepare_paper_test_set(files / "ref.vec", test_set=files / "ts.tsv", split=Split.DEV)
    with pytest.raises(SpokenW2VError, match="need a saved test set or a corpus"):
        prepare_paper_test_set(files / "ref.vec")


def test_prepare_draws_a_test_set_from_a_corpus(files):
    (files / "corpus.txt").write_text("a b c d\na b c\na b\na\n" * 3)
    said = []
    paper = prepare_paper_test_set(files / "ref.vec", corpus=files / "corpus.txt", split=Split.ALL, log=said.append,
                                   draw=TestSetDraw(n_test=2, skip_top=0, seed=3))
    assert paper.source == f"drawn from {files / 'corpus.txt'}" and paper.test_set.seed == 3
    assert set(paper.test_set.word1) <= {"a", "b", "c", "d"} and len(paper.test_set.test_words()) == 2
    assert said[0].startswith("Test set: 2 test words x ") and "seed 3, protocol paper" in said[0]


def test_similarity_sets_read_files_after_the_benchmarks(files):
    (files / "mine.tsv").write_text("a\tb\t1.0\nb\tc\t2.5\n")
    assert [s.name for s in similarity_sets([files / "mine.tsv"], benchmarks=False)] == ["mine"]
    assert [s.name for s in similarity_sets([files / "mine.tsv"])] == ["wordsim353", "simlex999", "mine"]


def test_the_printed_tables_show_brackets_in_names_and_words_as_text(tmp_path):
    """A model called ``m[1]``, a word ``[red]w`` and an undefined interval ``[nan, nan]`` are
    printed as they are, not read as rich markup (which would drop them)."""
    from typer.testing import CliRunner

    from spokenw2v.cli import app

    (tmp_path / "m[1].vec").write_text("3 2\n[red]w 1 0\nb 0 1\nc 1 1\n")
    (tmp_path / "n.vec").write_text("3 2\n[red]w 1 0\nb 1 0\nc 1 0\n")
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "m[1].vec"), str(tmp_path / "n.vec"),
                                      "--neighbours", "[red]w", "--top", "2"])
    assert result.exit_code == 0, result.output
    assert "m[1]" in result.stdout
    assert "'[red]w'" in result.stdout and "┃ m[1]     ┃" in result.stdout
