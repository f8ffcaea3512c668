"""spokenw2v synthesize --style continuous (espeak-ng events) and --engine festival."""

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from helpers import assert_one_error_line, requires_espeak
from spokenw2v import festival as festival_mod
from spokenw2v.cli import app
from spokenw2v.continuous import segments_from_intervals, spoken_text, widen_touching, word_times
from spokenw2v.errors import SpokenW2VError
from spokenw2v.espeak import SpeechEvent
from spokenw2v.io import read_audio_list, read_corpus, read_segments, tokenize
from spokenw2v.speechplan import utterance_punctuation

runner = CliRunner()
requires_festival = pytest.mark.skipif(shutil.which("festival") is None,
                                       reason="needs festival (apt-get install festival festvox-kallpc16k)")

TEXT = (
    "In the beginning God created the heaven and the earth.\n"
    "And God said, Let there be light: and there was light.\n"
    "The king's 12 sons went out of the land; \"Don't stop!\" they said.\n"
)


def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "text.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _run(*args):
    return runner.invoke(app, ["synthesize", *map(str, args)])


def _digest(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*"))
            if p.is_file()}


def _check_corpus(out: Path) -> tuple[np.ndarray, list[list[str]]]:
    """Every token of the text has exactly one positive segment, in order, never overlapping,
    inside its audio, with sound in it; returns the gaps between consecutive words."""
    sentences = [tokenize(line) for line in TEXT.splitlines()]
    assert read_corpus(out / "corpus.txt") == sentences
    audio = read_audio_list(out / "audio.tsv")
    durations = {utt: sf.info(str(p)).frames / sf.info(str(p)).samplerate for utt, p in audio.items()}
    seg = read_segments(out / "segments.tsv", require_words=True, durations=durations)
    rows = seg.by_utterance()
    gaps = []
    for utt, words in zip(audio, sentences):
        ix = rows[utt]
        assert [seg.word[i] for i in ix] == words
        start, end = seg.start[ix], seg.end[ix]
        assert np.all(end - start >= 0.03 - 1e-4)
        assert np.all(start[1:] >= end[:-1]) and start[0] >= 0 and end[-1] <= durations[utt]
        samples, sr = sf.read(str(audio[utt]), dtype="float32")
        for s, e in zip(start, end):
            assert np.abs(samples[int(s * sr): int(e * sr)]).max() > 0.01
        gaps.extend(start[1:] - end[:-1])
    return np.asarray(gaps), sentences


def test_spoken_text_keeps_the_tokens_and_their_punctuation():
    words, puncts = utterance_punctuation('And God said, Let there be light: "yes" (quietly). Don\'t - stop')
    assert words == ["and", "god", "said", "let", "there", "be", "light", "yes", "quietly", "don't", "stop"]
    text, starts = spoken_text(words, puncts)
    assert text == "and god said, let there be light: yes quietly. don't stop"
    assert [text[s - 1: s - 1 + len(w)] for s, w in zip(starts, words)] == words


def _events(*items):
    return [SpeechEvent(*x) for x in items]


def test_word_times_split_merged_words_and_keep_pauses_out():
    # "in the god, sat" spoken as: [in the] merged (one word event), god, a pause, then sat
    text, starts = spoken_text(["in", "the", "god", "sat"], ["", "", ",", ""])
    events = _events(("word", 1, 0), ("phoneme", 1, 0, "I"), ("phoneme", 1, 100, "n"), ("phoneme", 1, 200, "D"),
                     ("phoneme", 1, 300, "@"), ("word", 8, 400), ("phoneme", 8, 450, "g"), ("phoneme", 8, 500, "0"),
                     ("phoneme", 8, 600, "d"), ("phoneme", 12, 700, "_:"), ("word", 13, 900),
                     ("phoneme", 13, 900, "s"), ("phoneme", 13, 1000, "a"), ("phoneme", 13, 1100, "t"))
    times = word_times(events, starts, 1300, lambda i: 2, 10)
    assert times.start.tolist() == [0, 200, 400, 900]
    assert times.end.tolist() == [200, 400, 700, 1300]  # the pause 700-900 belongs to no word
    assert (times.merged, times.widened) == (1, 0)


def test_word_times_give_a_number_read_as_several_words_one_segment():
    text, starts = spoken_text(["year", "1984"], ["", ""])
    events = _events(("word", 1, 0), ("phoneme", 1, 0, "j"), ("word", 6, 300), ("phoneme", 6, 300, "n"),
                     ("word", 7, 600), ("phoneme", 7, 600, "eI"))
    times = word_times(events, starts, 900, lambda i: 3, 10)
    assert times.start.tolist() == [0, 300] and times.end.tolist() == [300, 900]


def test_short_words_borrow_from_a_touching_neighbour_and_missing_sound_is_an_error():
    start, end = np.array([0, 100, 105]), np.array([100, 105, 300])
    assert widen_touching(start, end, 30) == 1
    assert np.all(end - start >= 30) and np.all(start[1:] >= end[:-1]) and start[0] == 0 and end[-1] == 300
    with pytest.raises(SpokenW2VError, match="no sound"):
        segments_from_intervals([[], []], [None, None], lambda i: 1, 10)


@pytest.fixture(scope="module")
def continuous(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("continuous")
    result = _run(_corpus(tmp), "--out", tmp / "out", "--style", "continuous", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "split from a neighbour" in " ".join(result.output.split())
    return tmp / "out"


@requires_espeak
def test_continuous_espeak_segments_cover_every_token_with_few_gaps(continuous):
    gaps, sentences = _check_corpus(continuous)
    assert np.mean(gaps < 0.010) > 0.6  # words run together
    assert np.any(gaps >= 0.05)  # pauses at punctuation
    table = [r.split("\t") for r in (continuous / "utterances.tsv").read_text().splitlines()]
    assert table[0][-2:] == ["merged", "widened"]
    assert sum(int(r[-2]) for r in table[1:]) >= 1  # espeak-ng runs "in the" together
    assert (continuous / "phonemes.tsv").is_file()
    assert '"style": "continuous"' in (continuous / "synthesis.json").read_text()


@requires_espeak
def test_continuous_espeak_is_the_same_for_any_worker_count_and_resumes(continuous, tmp_path):
    result = _run(_corpus(tmp_path), "--out", tmp_path / "a", "--style", "continuous", "--jobs", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert _digest(tmp_path / "a") == _digest(continuous)
    (tmp_path / "a" / "words" / "utt000002.fixes").unlink()  # incomplete: made again, identically
    result = _run(_corpus(tmp_path), "--out", tmp_path / "a", "--style", "continuous", "--jobs", "1")
    assert result.exit_code == 0 and "1 made, 2 kept" in " ".join(result.output.split()), result.output
    assert _digest(tmp_path / "a") == _digest(continuous)
    result = _run(_corpus(tmp_path), "--out", tmp_path / "a", "--jobs", "1")  # the words style: other settings
    assert result.exit_code == 1 and "other settings" in " ".join(result.output.split())


@requires_espeak
def test_bad_style_and_engine_give_one_line_errors(tmp_path):
    corpus = _corpus(tmp_path)
    assert_one_error_line(_run(corpus, "--out", tmp_path / "o", "--style", "sung"), "--style", "sung")
    assert_one_error_line(_run(corpus, "--out", tmp_path / "o", "--engine", "sam"), "--engine", "sam")
    assert_one_error_line(_run(corpus, "--out", tmp_path / "o", "--engine", "festival"), "--style continuous")
    assert not (tmp_path / "o").exists()


def test_missing_festival_names_the_packages(tmp_path, monkeypatch):
    monkeypatch.setattr(festival_mod.shutil, "which", lambda name: None)
    result = _run(_corpus(tmp_path), "--out", tmp_path / "o", "--engine", "festival", "--style", "continuous")
    assert_one_error_line(result, "festival is not installed", "apt-get install festival")


def test_festival_token_count_mismatch_is_an_error():
    with pytest.raises(SpokenW2VError, match="2 tokens for 3 words"):
        festival_mod.festival_word_times([[(0.1, 0.2)], [(0.2, 0.3)]], ["a", "b", "c"], 16000, 0.03)
    times = festival_mod.festival_word_times([[(0.1, 0.2)], [], [(0.2, 0.4), (0.4, 0.5)]], ["ab", "c", "dd"],
                                             1000, 0.03)
    # "c" has no sound of its own: it shares the sound of the token before it
    assert times.start.tolist() == [100, 150, 200] and times.end.tolist() == [150, 200, 500]
    assert (times.merged, times.widened) == (1, 0)


@pytest.fixture(scope="module")
def festival_out(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("festival")
    result = _run(_corpus(tmp), "--out", tmp / "out", "--engine", "festival", "--style", "continuous",
                  "--voices", "kal_diphone", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return tmp / "out"


@requires_festival
def test_festival_segments_cover_every_token_and_runs_are_reproducible(festival_out, tmp_path):
    gaps, _ = _check_corpus(festival_out)
    assert np.mean(gaps < 0.010) > 0.6
    assert {r.split("\t")[2] for r in (festival_out / "audio.tsv").read_text().splitlines()[1:]} == {"kal_diphone"}
    assert not (festival_out / "phonemes.tsv").exists()
    result = _run(_corpus(tmp_path), "--out", tmp_path / "b", "--engine", "festival", "--style", "continuous",
                  "--voices", "kal_diphone", "--jobs", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert _digest(tmp_path / "b") == _digest(festival_out)


@requires_festival
def test_festival_unknown_voice_and_variants_give_one_line_errors(tmp_path):
    corpus = _corpus(tmp_path)
    base = ["--out", tmp_path / "o", "--engine", "festival", "--style", "continuous"]
    assert_one_error_line(_run(corpus, *base, "--voices", "nobody_diphone"), "festival has no voice 'nobody_diphone'")
    assert_one_error_line(_run(corpus, *base, "--variants", "m1"), "--variants")
