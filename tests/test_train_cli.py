"""``spokenw2v train``: the command chained on tiny generated text and speech-unit data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from spokenw2v import io
from spokenw2v.cli import app
from helpers import assert_one_error_line, topic_corpus, unit_data

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.txt"
    io.write_corpus(path, topic_corpus(60))
    return path


def test_text_then_e2e_with_metrics_and_resume(tmp_path, corpus):
    ref = tmp_path / "ref"
    r = invoke("train", "text", "--corpus", corpus, "--out", ref, "--epochs", "3", "--min-count", "1", "-q")
    assert r.exit_code == 0, r.output
    text = io.read_vectors(ref / "vectors.vec")
    assert "cat" in text and text.dim == 100
    config = json.loads((ref / "config.json").read_text())
    assert list(config)[:2] == ["format", "version"] and config["format"] == "spokenw2v-run-config"
    assert config["version"] == 1 and config["kind"] == "text"

    run = tmp_path / "e2e"
    r = invoke("train", "e2e", "--corpus", corpus, "--out", run, "--reference", ref / "vectors.vec",
               "--epochs", "1", "-s", "1", "--batch-tokens", "128", "--negatives", "10", "--device", "cpu", "-q")
    assert r.exit_code == 0, r.output
    for name in ("vectors.vec", "metrics.tsv", "config.json", "last.pt", "best.pt"):
        assert (run / name).exists(), name
    header, rows = io.read_tsv(run / "metrics.tsv", ["epoch", "loss", "A", "B"])
    assert [row["epoch"] for _, row in rows] == ["0", "1"]
    assert rows[0][1]["loss"] == "" and rows[1][1]["loss"] != ""
    assert all(-1 <= float(row["A"]) <= 1 and -1 <= float(row["B"]) <= 1 for _, row in rows)
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["negatives"] == 10 and config["config"]["dim"] == 100
    vec = io.read_vectors(run / "vectors.vec")
    assert set(vec.words) == {w for s in io.read_corpus(corpus) for w in s}

    # resume needs no repeated flags; --epochs extends the run
    r = invoke("train", "e2e", "--out", run, "--resume", "--epochs", "2", "-q")
    assert r.exit_code == 0, r.output
    _, rows = io.read_tsv(run / "metrics.tsv", ["epoch"])
    assert [row["epoch"] for _, row in rows] == ["0", "1", "2"]

    # a resume with another configuration is refused; vectors stay as they were
    before = (run / "vectors.vec").read_bytes()
    r = invoke("train", "e2e", "--out", run, "--resume", "--epochs", "3", "--window", "2")
    assert r.exit_code == 1
    assert "another configuration" in r.output and "window" in r.output
    assert (run / "vectors.vec").read_bytes() == before


def test_eval_every_logs_metrics_every_nth_epoch_and_the_last(tmp_path, corpus):
    ref = tmp_path / "ref"
    assert invoke("train", "text", "--corpus", corpus, "--out", ref, "--epochs", "3", "--min-count", "1",
                  "-q").exit_code == 0
    runs = {}
    for every in ("1", "2"):
        run = runs[every] = tmp_path / f"e2e-{every}"
        r = invoke("train", "e2e", "--corpus", corpus, "--out", run, "--reference", ref / "vectors.vec",
                   "--epochs", "5", "--eval-every", every, "--batch-tokens", "128", "--negatives", "10",
                   "--device", "cpu", "-q")
        assert r.exit_code == 0, r.output
    _, every1 = io.read_tsv(runs["1"] / "metrics.tsv", ["epoch", "loss", "A", "dev_A"])
    _, every2 = io.read_tsv(runs["2"] / "metrics.tsv", ["epoch", "loss", "A", "dev_A"])
    assert [r["A"] != "" for _, r in every2] == [True, False, True, False, True, True]  # epochs 0, 2, 4, 5
    for (_, a), (_, b) in zip(every1, every2):  # the same training; metrics where they were computed
        assert a["loss"] == b["loss"] and (b["A"] == "" or a["A"] == b["A"])
    assert (runs["1"] / "vectors.vec").read_bytes() == (runs["2"] / "vectors.vec").read_bytes()
    best = torch.load(runs["2"] / "best.pt", weights_only=False)["epoch"]
    assert best in (0, 2, 4, 5)
    r = invoke("train", "e2e", "--corpus", corpus, "--out", tmp_path / "bad", "--eval-every", "0")
    assert r.exit_code != 0 and "--eval-every" in r.output


def test_two_stage_cli(tmp_path, corpus):
    run = tmp_path / "two"
    r = invoke("train", "two-stage", "--corpus", corpus, "--out", run, "--epochs", "1", "--ae-epochs", "2",
               "--device", "cpu", "-q")
    assert r.exit_code == 0, r.output
    assert io.read_vectors(run / "vectors.vec").dim == 100


def test_oracle_on_segments_equals_text_on_the_same_tokens(tmp_path):
    _, segments, seg = unit_data(tmp_path)
    corpus = tmp_path / "words.txt"
    io.write_corpus(corpus, [[seg.word[i] for i in rows] for rows in seg.by_utterance().values()])
    assert invoke("train", "text", "--corpus", corpus, "--out", tmp_path / "t", "--epochs", "2",
                  "--min-count", "1", "--seed", "4", "-q").exit_code == 0
    assert invoke("train", "oracle", "--segments", segments, "--out", tmp_path / "o", "--epochs", "2",
                  "--min-count", "1", "--seed", "4", "--reference", tmp_path / "t" / "vectors.vec",
                  "-q").exit_code == 0
    assert (tmp_path / "o" / "vectors.vec").read_text() == (tmp_path / "t" / "vectors.vec").read_text()
    _, rows = io.read_tsv(tmp_path / "o" / "metrics.tsv", ["epoch", "A"])
    # the oracle *is* the text model (from the same initial vectors on), so A = 1 at every epoch
    assert all(float(row["A"]) == pytest.approx(1.0, abs=1e-3) for _, row in rows) and len(rows) == 3


def test_e2e_on_units_writes_type_and_token_vectors(tmp_path):
    units, segments, seg = unit_data(tmp_path)
    run = tmp_path / "units-run"
    r = invoke("train", "e2e", "--segments", segments, "--units", units, "--out", run, "--epochs", "1",
               "--batch-tokens", "64", "--negatives", "5", "--device", "cpu",
               "--token-vectors", tmp_path / "tokens.npz", "-q")
    assert r.exit_code == 0, r.output
    vec = io.read_vectors(run / "vectors.vec")
    assert set(vec.words) == set(seg.word)
    tv = io.read_token_vectors(tmp_path / "tokens.npz")
    assert tv.vectors.shape == (len(seg), 100) and tv.words == seg.word and tv.utt_ids == seg.utt
    # a type's vector is the mean of its tokens' vectors
    cat = [i for i, w in enumerate(tv.words) if w == "cat"]
    np.testing.assert_allclose(vec.vectors[vec.index["cat"]], tv.vectors[cat].mean(0), atol=1e-4)
    config = json.loads((run / "config.json").read_text())
    assert config["config"]["symbols"] == "units" and config["config"]["vocab_size"] == 12


def test_bad_inputs_fail_with_one_line_and_no_vectors(tmp_path, corpus):
    empty = tmp_path / "empty.txt"
    empty.write_text("\n  \n...\n")
    r = invoke("train", "e2e", "--corpus", empty, "--out", tmp_path / "a")
    assert r.exit_code == 1 and "no words" in r.output and not (tmp_path / "a" / "vectors.vec").exists()

    units, segments, seg = unit_data(tmp_path)
    extra = io.Segments(seg.utt + ["ghost"], np.append(seg.start, 0.0), np.append(seg.end, 0.2), seg.word + ["cat"])
    io.write_segments(tmp_path / "ghost.tsv", extra)
    r = invoke("train", "e2e", "--segments", tmp_path / "ghost.tsv", "--units", units, "--out", tmp_path / "b")
    assert r.exit_code == 1 and "ghost" in r.output and "not in the units file" in r.output
    assert not (tmp_path / "b" / "vectors.vec").exists()

    # unit ids past the codebook size
    with np.load(units, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    arrays["k"] = np.int64(5)
    np.savez(tmp_path / "bad_units.npz", **arrays)
    r = invoke("train", "e2e", "--segments", segments, "--units", tmp_path / "bad_units.npz", "--out", tmp_path / "c")
    assert r.exit_code == 1 and "outside [0, 5)" in r.output
    assert r.output.strip().splitlines()[-1].startswith("Error:") and "Traceback" not in r.output

    r = invoke("train", "e2e", "--corpus", corpus, "--segments", segments, "--out", tmp_path / "d")
    assert r.exit_code == 1 and "exactly one of" in r.output
    r = invoke("train", "e2e", "--out", tmp_path / "nothing", "--resume")
    assert r.exit_code == 1 and "last.pt" in r.output


def test_help_names_every_kind():
    r = invoke("train", "--help")
    assert r.exit_code == 0
    for word in ("text", "oracle", "e2e", "two-stage", "--resume", "--reference", "--preset"):
        assert word in r.output



def test_skip_missing_skips_and_counts_segments_missing_from_the_units(tmp_path):
    units, segments, seg = unit_data(tmp_path)
    extra = io.Segments(seg.utt + ["ghost", "ghost", "phantom"], np.append(seg.start, [0.0, 0.2, 0.0]),
                        np.append(seg.end, [0.2, 0.4, 0.2]), seg.word + ["cat", "dog", "red"])
    io.write_segments(tmp_path / "ghost.tsv", extra)
    # without --skip-missing: one line naming the segments file and the utterance
    r = invoke("train", "e2e", "--segments", tmp_path / "ghost.tsv", "--units", units, "--out", tmp_path / "a")
    assert r.exit_code == 1 and "ghost.tsv" in r.output and "ghost" in r.output and "--skip-missing" in r.output
    assert_one_error_line(r)
    # with it: trained on the others, and the skipped tokens reported at the end
    run = tmp_path / "b"
    r = invoke("train", "e2e", "--segments", tmp_path / "ghost.tsv", "--units", units, "--out", run, "--epochs", "1",
               "--batch-tokens", "64", "--negatives", "5", "--device", "cpu", "--skip-missing",
               "--token-vectors", tmp_path / "tokens.npz")
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())  # the console wraps long lines
    summary = text[text.index("skipped"):]  # the last message
    assert "wrote" not in summary and summary.startswith(f"skipped 3 of {len(seg) + 3} word tokens")
    assert "3 in 2 utterances missing" in summary and "(first: ghost, phantom)" in summary
    config = json.loads((run / "config.json").read_text())
    assert config["tokens"] == len(seg) and config["skipped"]["tokens"] == 3
    assert io.read_token_vectors(tmp_path / "tokens.npz").utt_ids == seg.utt
    # --skip-missing means nothing without units
    r = invoke("train", "e2e", "--segments", segments, "--out", tmp_path / "c", "--skip-missing")
    assert r.exit_code == 1 and "--units" in r.output


def test_text_default_epochs(tmp_path, corpus):
    from spokenw2v.config import TEXT_EPOCHS

    assert TEXT_EPOCHS == 30
    r = invoke("train", "text", "--corpus", corpus, "--out", tmp_path / "t", "--min-count", "1", "-q")
    assert r.exit_code == 0, r.output
    _, rows = io.read_tsv(tmp_path / "t" / "metrics.tsv", ["epoch"])
    assert [row["epoch"] for _, row in rows] == [str(e) for e in range(TEXT_EPOCHS + 1)]
    assert json.loads((tmp_path / "t" / "config.json").read_text())["config"]["epochs"] == TEXT_EPOCHS


def _cli_rank(rank: int, world: int, port: int, args: list[str], result: str) -> None:
    """One torchrun-like process: the environment torchrun sets, then the command."""
    import os

    import torch

    os.environ.update(RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    import spokenw2v.monitor as monitor

    builds = []
    original = monitor.Evaluator.build
    monitor.Evaluator.build = classmethod(lambda cls, *a, **k: builds.append(1) or original(*a, **k))
    r = CliRunner().invoke(app, args, catch_exceptions=False)
    with open(f"{result}{rank}", "w") as f:
        json.dump({"exit_code": r.exit_code, "output": r.output, "builds": len(builds)}, f)


@pytest.mark.slow
def test_torchrun_ranks_other_than_0_are_quiet_and_skip_the_metrics(tmp_path, corpus):
    import torch.multiprocessing as mp

    assert invoke("train", "text", "--corpus", corpus, "--out", tmp_path / "ref", "--epochs", "2",
                  "--min-count", "1", "-q").exit_code == 0
    run = tmp_path / "ddp"
    args = ["train", "e2e", "--corpus", str(corpus), "--out", str(run), "--reference",
            str(tmp_path / "ref" / "vectors.vec"), "--epochs", "2", "--batch-tokens", "64", "--negatives", "5",
            "--device", "cpu"]
    port = 31500 + int(np.random.default_rng().integers(1000))
    mp.spawn(_cli_rank, args=(2, port, args, str(tmp_path / "rank")), nprocs=2, join=True)
    r0, r1 = (json.loads((tmp_path / f"rank{i}").read_text()) for i in (0, 1))
    assert r0["exit_code"] == 0 and r1["exit_code"] == 0, (r0, r1)
    assert "word tokens" in r0["output"] and "metrics on" in r0["output"] and "2 processes" in r0["output"]
    assert r1["output"] == "" and r1["builds"] == 0 and r0["builds"] == 1
    _, rows = io.read_tsv(run / "metrics.tsv", ["epoch", "A"])
    assert [row["epoch"] for _, row in rows] == ["0", "1", "2"] and all(row["A"] != "" for _, row in rows)
    assert len(io.read_vectors(run / "vectors.vec")) == len({w for s in io.read_corpus(corpus) for w in s})
