"""spokenw2v synthesize --style continuous (espeak-ng events), --engine festival and --engine flite."""

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from helpers import assert_one_error_line, requires_espeak
from spokenw2v import festival as festival_mod
from spokenw2v import flite as flite_mod
from spokenw2v.cli import app
from spokenw2v.continuous import segments_from_intervals, spoken_text, widen_touching, word_times
from spokenw2v.errors import SpokenW2VError
from spokenw2v.espeak import SpeechEvent
from spokenw2v.io import read_audio_list, read_corpus, read_segments, tokenize
from spokenw2v.speechplan import utterance_punctuation

runner = CliRunner()
requires_festival = pytest.mark.skipif(shutil.which("festival") is None,
                                       reason="needs festival (apt-get install festival festvox-kallpc16k)")
requires_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="needs flite (apt-get install flite)")

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


def test_flite_alignment_gives_each_spoken_phone_its_word():
    # "in the end, god": "the" before a vowel is spoken dh iy (alone: dh ax); pauses belong to no word
    spoken = ["pau", "ih", "n", "dh", "iy", "eh", "n", "d", "pau", "g", "aa", "d", "pau"]
    reference = [["ih", "n"], ["dh", "ax"], ["eh", "n", "d"], ["g", "aa", "d"]]
    assert flite_mod.align_phones(spoken, reference) == [-1, 0, 0, 1, 1, 2, 2, 2, -1, 3, 3, 3, -1]
    # an extra spoken phone goes to the word before it; a word the engine dropped gets none
    assert flite_mod.align_phones(["ih", "n", "t", "g", "aa", "d"], [["ih", "n"], ["g", "aa", "d"]]) == \
        [0, 0, 0, 1, 1, 1]
    assert flite_mod.align_phones(["ih", "n", "g", "aa", "d"], [["ih", "n"], ["dh", "ax"], ["g", "aa", "d"]]) == \
        [0, 0, 2, 2, 2]
    assert flite_mod.align_phones(["pau"], [["ih", "n"]]) == [-1]


def test_flite_word_times_keep_pauses_out_and_share_a_dropped_word():
    segments = [("pau", 0.1), ("ih", 0.2), ("n", 0.3), ("dh", 0.35), ("iy", 0.4), ("pau", 0.6), ("g", 0.7),
                ("aa", 0.8), ("d", 0.9), ("pau", 1.0)]
    times = flite_mod.flite_word_times(segments, [["ih", "n"], ["dh", "ax"], ["g", "aa", "d"]], 1000, 0.03)
    assert times.start.tolist() == [100, 300, 600] and times.end.tolist() == [300, 400, 900]
    assert (times.merged, times.widened) == (0, 0)
    times = flite_mod.flite_word_times(segments, [["ih", "n", "dh", "iy"], ["ax"], ["g", "aa", "d"]], 1000, 0.03)
    # "ax" was not spoken: it shares the sound of the word before it, in proportion to their phones (4:1)
    assert times.start.tolist() == [100, 350, 600] and times.end.tolist() == [350, 400, 900]
    assert times.merged == 1


def test_missing_flite_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(flite_mod.shutil, "which", lambda name: None)
    result = _run(_corpus(tmp_path), "--out", tmp_path / "o", "--engine", "flite", "--style", "continuous")
    assert_one_error_line(result, "flite is not installed", "apt-get install flite")
    assert not (tmp_path / "o").exists()


@requires_flite
def test_flite_finds_the_phones_of_words_alone_in_one_call():
    engine = flite_mod.Flite()
    try:
        words = ["the", "12", "don't", "the", "1984", "abram's"]
        alone = [subprocess.run(["flite", "-voice", "slt", "-ps", "-t", w, "-o", "none"], capture_output=True,
                                text=True, check=True).stdout.split() for w in words]
        assert engine.word_phones("slt", words) == [[p for p in a if p != "pau"] for a in alone]
        assert engine.word_phones("slt", ["the"]) == [["dh", "ax"]]
    finally:
        engine.close()


@pytest.fixture(scope="module")
def flite_out(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("flite")
    result = _run(_corpus(tmp), "--out", tmp / "out", "--engine", "flite", "--style", "continuous",
                  "--voices", "awb,slt", "--rates", "170", "--jobs", "1")
    assert result.exit_code == 0, result.output
    return tmp / "out"


@requires_flite
def test_flite_segments_cover_every_token_and_pauses_lie_between_words(flite_out):
    gaps, sentences = _check_corpus(flite_out)
    assert np.mean(gaps < 0.010) > 0.6
    audio = read_audio_list(flite_out / "audio.tsv")
    seg = read_segments(flite_out / "segments.tsv", require_words=True)
    rows = seg.by_utterance()
    for utt, line in zip(audio, TEXT.splitlines()):
        samples, sr = sf.read(str(audio[utt]), dtype="float32")
        loudness = [np.sqrt(np.mean(samples[int(seg.start[i] * sr): int(seg.end[i] * sr)] ** 2)) for i in rows[utt]]
        _, puncts = utterance_punctuation(line)
        for k, (i, punct) in enumerate(zip(rows[utt][:-1], puncts)):
            if punct:  # flite pauses there: a quiet gap outside both words
                a, b = seg.end[i], seg.start[rows[utt][k + 1]]
                assert b - a >= 0.05, (utt, k)
                gap = samples[int((a + 0.01) * sr): int((b - 0.01) * sr)]
                assert np.sqrt(np.mean(gap ** 2)) < 0.2 * min(loudness[k], loudness[k + 1]), (utt, k)
    speakers = [r.split("\t")[2] for r in (flite_out / "audio.tsv").read_text().splitlines()[1:]]
    assert set(speakers) <= {"awb", "slt"} and len(speakers) == len(sentences)
    table = [r.split("\t") for r in (flite_out / "utterances.tsv").read_text().splitlines()]
    assert table[0][-2:] == ["merged", "widened"] and {r[5] for r in table[1:]} == {"-"}
    assert all(sf.info(str(p)).samplerate == 16000 for p in audio.values())
    assert '"engine": "flite"' in (flite_out / "synthesis.json").read_text()
    assert not (flite_out / "phonemes.tsv").exists()


@requires_flite
def test_flite_is_the_same_for_any_worker_count_and_resumes(flite_out, tmp_path):
    args = [_corpus(tmp_path), "--out", tmp_path / "b", "--engine", "flite", "--style", "continuous",
            "--voices", "awb,slt", "--rates", "170"]
    result = _run(*args, "--jobs", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert _digest(tmp_path / "b") == _digest(flite_out)
    (tmp_path / "b" / "words" / "utt000002.fixes").unlink()  # incomplete: made again, identically
    result = _run(*args, "--jobs", "1")
    assert result.exit_code == 0 and "1 made, 2 kept" in " ".join(result.output.split()), result.output
    assert _digest(tmp_path / "b") == _digest(flite_out)


@requires_flite
def test_flite_unknown_voice_and_variants_give_one_line_errors(tmp_path):
    corpus = _corpus(tmp_path)
    base = ["--out", tmp_path / "o", "--engine", "flite", "--style", "continuous"]
    assert_one_error_line(_run(corpus, *base, "--voices", "awb,nobody"), "flite has no voice 'nobody'", "slt")
    assert_one_error_line(_run(corpus, *base, "--variants", "m1"), "--variants", "flite")
    assert_one_error_line(_run(corpus, "--out", tmp_path / "o", "--engine", "flite"), "--style continuous")
    assert not (tmp_path / "o").exists()
