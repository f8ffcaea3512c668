"""spokenw2v synthesize (espeak-ng, exact word timings) and the embedded demo text."""

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from helpers import assert_one_error_line, requires_espeak
from spokenw2v import corpus as corpus_mod
from spokenw2v import espeak as espeak_ng
from spokenw2v import synthesize as synth
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import read_audio_list, read_corpus, read_segments, tokenize

runner = CliRunner()

TEXT = (
    "In the beginning God created the heaven and the earth.\n"
    "\n"
    "And God said, Let there be light: and there was light.\n"
    "The king's 12 sons went out of the land; \"Don't stop!\" they said.\n"
    "Of the tree of the field, of the ground.\n"
)
# line numbers of the non-empty lines above
UTTS = ["utt000001", "utt000003", "utt000004", "utt000005"]


def _corpus(tmp_path: Path) -> Path:
    path = tmp_path / "text.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def _run(*args):
    result = runner.invoke(app, ["synthesize", *map(str, args)])
    return result


def _digest(out: Path) -> dict[str, str]:
    files = sorted(p for p in out.rglob("*") if p.is_file())
    return {str(p.relative_to(out)): hashlib.sha1(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def spoken(tmp_path_factory) -> Path:
    """The test corpus synthesized once with default settings and one process."""
    tmp = tmp_path_factory.mktemp("synth")
    result = _run(_corpus(tmp), "--out", tmp / "out", "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output
    return tmp / "out"


def test_utterance_words_are_the_tokens_with_pause_marks():
    line = 'And God said, Let there be light: "yes" (quietly). Don\'t - stop'
    words, pauses = synth.utterance_words(line)
    assert words == tokenize(line)
    assert words == ["and", "god", "said", "let", "there", "be", "light", "yes", "quietly", "don't", "stop"]
    assert pauses == [False, False, True, False, False, False, True, False, True, False, False]


@requires_espeak
def test_outputs_have_one_exact_segment_per_word(spoken):
    sentences = [tokenize(line) for line in TEXT.splitlines() if tokenize(line)]
    assert read_corpus(spoken / "corpus.txt") == sentences
    audio = read_audio_list(spoken / "audio.tsv")
    assert list(audio) == UTTS
    durations = {}
    for utt, path in audio.items():
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
        durations[utt] = info.frames / info.samplerate
    seg = read_segments(spoken / "segments.tsv", require_words=True, durations=durations)
    rows = seg.by_utterance()
    assert list(rows) == UTTS
    for utt, words in zip(UTTS, sentences):
        ix = rows[utt]
        assert [seg.word[i] for i in ix] == words  # every word exactly once, in order
        start, end = seg.start[ix], seg.end[ix]
        assert np.all(end - start >= 0.03 - 1e-4)  # no near-empty word
        assert np.all(end - start < 2.0)
        assert np.all(start[1:] - end[:-1] >= 0.05 - 1e-4)  # a real pause between words
        assert start[0] >= 0.1 and end[-1] <= durations[utt] - 0.1
        samples, sr = sf.read(str(audio[utt]), dtype="float32")
        # speech inside every segment, (near) silence in the pauses between them
        for s, e in zip(start, end):
            assert np.abs(samples[int(s * sr): int(e * sr)]).max() > 0.02
        for e, s in zip(end[:-1], start[1:]):
            gap = samples[int(e * sr) + 16: int(s * sr) - 16]
            assert np.abs(gap).max() < 0.01
    table = (spoken / "utterances.tsv").read_text().splitlines()
    assert table[0].split("\t") == ["utt", "line", "voice", "variant", "rate", "pitch", "gain", "words", "duration"]
    assert [r.split("\t")[0] for r in table[1:]] == UTTS
    assert {r.split("\t")[2] for r in table[1:]} <= {"en-us", "en-gb"}
    assert (spoken / "synthesis.json").is_file()


@requires_espeak
def test_resume_keeps_files_and_gives_identical_outputs(spoken, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(spoken, out)
    before = _digest(out)
    wav = out / "audio" / "utt000004.wav"
    wav.unlink()
    mtime = (out / "audio" / "utt000001.wav").stat().st_mtime_ns
    result = _run(_corpus(tmp_path), "--out", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert "1 made, 3 kept" in " ".join(result.output.split())
    assert (out / "audio" / "utt000001.wav").stat().st_mtime_ns == mtime  # not rewritten
    assert _digest(out) == before  # the re-made utterance is identical


@requires_espeak
def test_synthesis_record_is_versioned_older_records_resume_and_newer_are_refused(spoken, tmp_path):
    record = json.loads((spoken / "synthesis.json").read_text())
    assert list(record)[:2] == ["format", "version"] and record["format"] == "spokenw2v-synthesis"
    out = tmp_path / "out"
    shutil.copytree(spoken, out)
    older = {k: v for k, v in record.items() if k not in ("format", "version")}
    (out / "synthesis.json").write_text(json.dumps(older, indent=2) + "\n")
    result = _run(_corpus(tmp_path), "--out", out, "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output  # a record written before versioning is the same record
    (out / "synthesis.json").write_text(json.dumps({**record, "version": 2}))
    result = _run(_corpus(tmp_path), "--out", out, "--jobs", "1", "--quiet")
    assert result.exit_code == 1 and "spokenw2v-synthesis version 2 is newer" in result.output, result.output


@requires_espeak
@pytest.mark.slow
def test_same_seed_same_output_across_processes_and_limit(spoken, tmp_path):
    corpus = _corpus(tmp_path)
    # two worker processes, and first a partial run that the full run then resumes
    assert _run(corpus, "--out", tmp_path / "a", "--max-utterances", "2", "--jobs", "1", "--quiet").exit_code == 0
    assert sorted(p.name for p in (tmp_path / "a" / "audio").iterdir()) == ["utt000001.wav", "utt000003.wav"]
    result = _run(corpus, "--out", tmp_path / "a", "--jobs", "2", "--quiet")
    assert result.exit_code == 0, result.output
    assert _digest(tmp_path / "a") == _digest(spoken)
    result = _run(corpus, "--out", tmp_path / "b", "--seed", "1", "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "segments.tsv").read_bytes() != (spoken / "segments.tsv").read_bytes()


@requires_espeak
def test_voices_variants_and_rates_are_used(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("\n".join(["the king of the land said so"] * 12) + "\n")
    result = _run(path, "--out", tmp_path / "o", "--voices", "en-us,en-gb-scotland", "--variants", "m3,f2",
                  "--rates", "150,250", "--jobs", "1", "--quiet")
    assert result.exit_code == 0, result.output
    rows = [r.split("\t") for r in (tmp_path / "o" / "utterances.tsv").read_text().splitlines()[1:]]
    assert {r[2] for r in rows} == {"en-us", "en-gb-scotland"}
    assert {r[3] for r in rows} == {"m3", "f2"}
    assert {r[4] for r in rows} == {"150", "250"}
    seg = read_segments(tmp_path / "o" / "segments.tsv")
    by = seg.by_utterance()
    lengths = {utt: float(seg.end[ix[-1]] - seg.start[ix[0]]) for utt, ix in by.items()}
    slow = [lengths[r[0]] for r in rows if r[4] == "150"]
    fast = [lengths[r[0]] for r in rows if r[4] == "250"]
    assert np.mean(fast) < 0.85 * np.mean(slow)
    # per-word jitter: the tokens of "the" differ even within one utterance
    the = [float(seg.end[i] - seg.start[i]) for i in range(len(seg)) if seg.word[i] == "the"]
    assert len(set(np.round(the, 4))) > len(the) // 2


@requires_espeak
def test_resume_with_other_settings_is_refused(spoken, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(spoken, out)
    result = _run(_corpus(tmp_path), "--out", out, "--rates", "120", "--jobs", "1")
    assert result.exit_code == 1
    assert "was synthesized with other settings" in " ".join(result.output.split())
    result = _run(_corpus(tmp_path), "--out", tmp_path / "fresh", "--jobs", "1", "--quiet")
    assert result.exit_code == 0
    (tmp_path / "other.txt").write_text("a different corpus\n")
    result = _run(tmp_path / "other.txt", "--out", tmp_path / "fresh", "--jobs", "1")
    assert result.exit_code == 1 and "from another corpus" in " ".join(result.output.split())


@requires_espeak
def test_bad_options_give_one_line_errors(tmp_path):
    corpus = _corpus(tmp_path)
    cases = [(["--voices", "xx-nowhere"], "no voice 'xx-nowhere'"), (["--variants", "nope9"], "no voice variant 'nope9'"),
             (["--rates", "fast"], "--rates"), (["--rates", "20"], "--rates: speaking rates must be 80-450 words per minute, got 20")]
    for extra, expected in cases:
        result = _run(corpus, "--out", tmp_path / "o", "--jobs", "1", *extra)
        assert_one_error_line(result, expected)
    result = _run(tmp_path / "missing.txt", "--out", tmp_path / "o2")
    assert result.exit_code == 1 and "no such file" in result.output


def test_missing_espeak_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(espeak_ng, "_ENGINE", None)
    monkeypatch.setattr(espeak_ng, "LIBRARY_NAMES", ("libespeak-ng-not-here.so.9",))
    monkeypatch.setattr(espeak_ng.ctypes.util, "find_library", lambda name: None)
    result = _run(_corpus(tmp_path), "--out", tmp_path / "o", "--jobs", "1")
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines[-1].startswith("Error: espeak-ng is not installed")
    assert "apt-get install espeak-ng" in " ".join(result.output.split())
    assert not (tmp_path / "o" / "segments.tsv").exists()


def test_widen_short_stays_between_neighbours():
    start, end = np.array([0.10, 0.30, 0.331]), np.array([0.29, 0.31, 0.50])
    s, e = synth.widen_short(start, end, 0.03, 0.6)
    assert np.allclose([s[1], e[1]], [0.29, 0.32])
    assert np.all(e[:-1] <= s[1:]) and np.all(e - s >= 0.03 - 1e-9)


# --------------------------------------------------------------------------- the demo text

requires_bible = pytest.mark.skipif(shutil.which("bible") is None, reason="needs the Debian package bible-kjv")


@requires_bible
def test_demo_corpus_is_clean_deterministic_and_sized():
    verses = corpus_mod.read_bible()
    assert len(verses) == 31102
    lines = corpus_mod.demo_corpus(500, verses=verses)
    assert lines[0] == "In the beginning God created the heaven and the earth."
    assert lines == corpus_mod.demo_corpus(500, verses=verses)
    counts = [len(tokenize(x)) for x in lines]
    assert sum(counts) >= 500 and sum(counts) - counts[-1] < 500
    assert not any(x[:1].isdigit() or ":" in x.split()[0] for x in lines)  # no verse references
    john = corpus_mod.demo_corpus(10, start="John3:16", verses=verses)
    assert john[0].startswith("For God so loved the world")
    with pytest.raises(SpokenW2VError, match="no verse"):
        corpus_mod.demo_corpus(10, start="Nowhere9:9", verses=verses)


def test_missing_bible_program_names_the_packages():
    with pytest.raises(SpokenW2VError, match="apt-get install bible-kjv bible-kjv-text"):
        corpus_mod.read_bible(program="bible-program-that-is-not-installed")


def test_espeak_tests_skip_where_espeak_is_missing(monkeypatch):
    """The marker that guards every test speaking with espeak-ng follows the library's presence."""
    from helpers import espeak_available

    monkeypatch.setattr(espeak_ng, "LIBRARY_NAMES", ("libespeak-ng-not-here.so.9",))
    monkeypatch.setattr(espeak_ng.ctypes.util, "find_library", lambda name: None)
    assert not espeak_available()
