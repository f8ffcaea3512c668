"""The example scripts run end to end in their tiny mode (TINY=1), so they cannot rot.

Each script is run as a user runs it (bash, the `spokenw2v` command on PATH); the test
checks the files it promises: word vectors that load, one evaluation row per model whose
metrics equal the last epoch of the model's metrics.tsv, and the PNG of the curves.
(examples/noise_sweep.sh has its own test in tests/test_examples_noise.py.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import EXAMPLES, LIBRISPEECH_SAMPLE, make_tiny_speech, write_librispeech_alignment
from helpers import example_env as _env
from helpers import run_example as _run
from spokenw2v.io import read_segments, read_tsv, read_units, read_vectors

MINE = ("char_scale.sh", "librispeech_hubert.sh")


def _eval_rows(path: Path) -> dict[str, dict[str, str]]:
    _, rows = read_tsv(path, ["model", "A", "B", "coverage", "row"])
    return {row["model"]: row for _, row in rows if row["row"] == "model"}


def _last_epoch(metrics: Path) -> dict[str, str]:
    _, rows = read_tsv(metrics, ["epoch", "loss", "A", "B"])
    return rows[-1][1]


def _check_png(path: Path) -> None:
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"


def test_example_scripts_parse_and_are_executable():
    scripts = sorted(EXAMPLES.glob("*.sh"))
    assert {p.name for p in scripts} >= set(MINE)
    for script in scripts:
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, f"{script.name}: {result.stderr}"
        assert os.access(script, os.X_OK), f"{script.name} is not executable"
        assert script.read_text().splitlines()[0] == "#!/usr/bin/env bash"


def test_librispeech_hubert_needs_its_paths(tmp_path):
    env = _env()
    env.pop("LIBRISPEECH_DIR", None)
    env.pop("ALIGNMENTS_DIR", None)
    result = subprocess.run(["bash", str(EXAMPLES / "librispeech_hubert.sh")], env=env, cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "LIBRISPEECH_DIR" in result.stderr
    assert not (tmp_path / "librispeech-hubert").exists()


def _demo_or_generated_corpus(tmp_path: Path) -> list[str]:
    """Script arguments for the corpus: the embedded demo text when its Debian packages are
    installed, else a small generated corpus."""
    if shutil.which("bible"):
        return []
    import numpy as np

    rng = np.random.default_rng(0)
    words = ["the", "king", "queen", "water", "river", "land", "sand", "man", "woman", "said", "went", "came",
             "unto", "of", "and", "great", "city", "house", "mouse", "light", "night", "day", "way"]
    lines = [" ".join(rng.choice(words, size=int(rng.integers(5, 15)))) for _ in range(300)]
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [str(corpus)]


@pytest.mark.slow
def test_char_scale_tiny(tmp_path):
    out = tmp_path / "char"
    result = _run([EXAMPLES / "char_scale.sh", *_demo_or_generated_corpus(tmp_path), out], _env(), tmp_path)

    # every step echoes its command
    for step in ("spokenw2v train text", "spokenw2v train two-stage", "spokenw2v train e2e",
                 "spokenw2v evaluate", "spokenw2v plot curves"):
        assert f"+ {step}" in result.stderr, step
    assert (out / "corpus.txt").read_text().count("\n") == 300

    text = read_vectors(out / "runs" / "text" / "vectors.vec")
    rows = _eval_rows(out / "eval.tsv")
    assert list(rows) == ["text", "two-stage-s1", "e2e-s1"]
    assert float(rows["text"]["A"]) == pytest.approx(1.0)
    for name in ("two-stage-s1", "e2e-s1"):
        run = out / "runs" / name
        vec = read_vectors(run / "vectors.vec")
        assert vec.dim == 100 and set(vec.words) == set(text.words)
        last = _last_epoch(run / "metrics.tsv")
        assert last["epoch"] == "1"
        # train and evaluate drew the same seeded test set: the table repeats the last epoch
        assert float(rows[name]["A"]) == pytest.approx(float(last["A"]), abs=1e-5)
        assert float(rows[name]["B"]) == pytest.approx(float(last["B"]), abs=1e-5)
        # character models start orthographic: distances follow edit distance, not the text model
        assert float(last["B"]) > float(last["A"]) + 0.2
        assert (run / "best.pt").is_file() and (run / "last.pt").is_file()
    assert (out / "test-set.tsv").is_file() and (out / "eval.json").is_file()
    assert "two-stage-s1" in (out / "eval.txt").read_text()
    _check_png(out / "curves.png")


# ------------------------------------------------------------------ LibriSpeech recipe, tiny


@pytest.fixture(scope="module")
def tiny_hubert(tmp_path_factory) -> Path:
    """A tiny randomly initialised HubertModel saved with save_pretrained (2 blocks, 32 dims)."""
    import torch
    from transformers import HubertConfig, HubertModel

    directory = tmp_path_factory.mktemp("models") / "hubert"
    torch.manual_seed(0)
    config = HubertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                          conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4)
    HubertModel(config).save_pretrained(directory)
    return directory


def _run_librispeech(tmp_path: Path, audio: Path, alignments: Path, model: Path) -> Path:
    out = tmp_path / "ls"
    env = _env(LIBRISPEECH_DIR=str(audio), ALIGNMENTS_DIR=str(alignments), OUT=str(out), MODEL=str(model),
               LAYER="2")
    result = _run([EXAMPLES / "librispeech_hubert.sh"], env, tmp_path)
    for step in ("segments", "featurize", "discretize", "word-units", "train text", "train e2e", "evaluate",
                 "plot curves"):
        assert f"+ spokenw2v {step}" in result.stderr, step

    seg = read_segments(out / "segments.tsv")
    units = read_units(out / "units.npz")
    assert units.k == 20
    assert set(seg.utterances()) <= set(units.frames.utt_ids)
    _, word_units = read_tsv(out / "word-units.tsv", ["utt", "word", "units"])
    assert len(word_units) == len(seg)
    assert all(int(u) < 20 for _, row in word_units for u in row["units"].split())

    text = read_vectors(out / "runs" / "text" / "vectors.vec")
    e2e = read_vectors(out / "runs" / "e2e-s1" / "vectors.vec")
    assert set(e2e.words) == set(seg.word) == set(text.words) and e2e.dim == 100
    rows = _eval_rows(out / "eval.tsv")
    assert list(rows) == ["text", "e2e-s1"]
    last = _last_epoch(out / "runs" / "e2e-s1" / "metrics.tsv")
    assert last["epoch"] == "1"
    assert float(rows["e2e-s1"]["A"]) == pytest.approx(float(last["A"]), abs=1e-5)
    _check_png(out / "curves.png")
    return out


@pytest.mark.slow
def test_librispeech_hubert_tiny_on_the_sample(librispeech_sample, tiny_hubert, tmp_path):
    """The recipe on the real LibriSpeech sample (49 utterances of dev-clean)."""
    out = _run_librispeech(tmp_path, librispeech_sample / "dev-clean", librispeech_sample / "alignments" / "dev-clean",
                           tiny_hubert)
    assert len(read_segments(out / "segments.tsv")) == 911
    assert len(read_vectors(out / "runs" / "e2e-s1" / "vectors.vec")) == 385


@pytest.mark.skipif((LIBRISPEECH_SAMPLE / "dev-clean").is_dir(),
                    reason="the LibriSpeech sample is present; the recipe runs on it instead")
@pytest.mark.slow
def test_librispeech_hubert_tiny_on_generated_speech(tiny_hubert, tmp_path):
    """Without the sample: the same recipe on generated audio with a librispeech-alignments file."""

    vocabulary = ("the", "cat", "sat", "on", "mat", "dog", "ran", "a", "big", "red", "hat", "bat", "sun", "run",
                  "fun", "car", "far", "star", "tree", "free", "sea", "see", "bird", "word", "house", "mouse")
    tiny = make_tiny_speech(tmp_path, n_utts=24, words_per_utt=(5, 9), vocabulary=vocabulary)
    alignments = tmp_path / "alignments"
    alignments.mkdir()
    write_librispeech_alignment(tiny, alignments / "tiny.alignment.txt")
    _run_librispeech(tmp_path, tiny.audio_dir, alignments, tiny_hubert)
