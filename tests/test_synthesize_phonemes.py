"""synthesize writes espeak-ng's phonemes of every token (phonemes.tsv, the word-units layout)."""

import pytest
from typer.testing import CliRunner

from helpers import requires_espeak
from spokenw2v import espeak as espeak_ng
from spokenw2v.cli import app
from spokenw2v.io import read_segments, read_word_units

runner = CliRunner()


pytestmark = requires_espeak

def test_phonemes_of_words_in_a_voice():
    engine = espeak_ng.espeak()
    engine.set_voice(engine.resolve_voice("en-us"))
    assert engine.phonemes("God") == ["ɡ", "ɑː", "d"]  # espeak-ng 1.51, en-us; stress marks dropped
    assert engine.phonemes("the") == ["ð", "ə"]
    assert espeak_ng.token_phonemes(["God", "God"], ["en-us", "en-gb-scotland"])[0] == ["ɡ", "ɑː", "d"]


def test_synthesize_writes_phonemes_per_token_in_the_utterance_voice(tmp_path):
    text = tmp_path / "t.txt"
    text.write_text("\n".join(["the king of the land said so"] * 6) + "\n")
    out = tmp_path / "o"
    r = runner.invoke(app, ["synthesize", str(text), "--out", str(out), "--voices", "en-us,en-gb-scotland",
                            "--variants", "", "--rates", "170", "--jobs", "1", "--quiet"])
    assert r.exit_code == 0, r.output
    wu = read_word_units(out / "phonemes.tsv")
    seg = read_segments(out / "segments.tsv")
    assert wu.seg.utt == seg.utt and wu.seg.word == seg.word
    assert list(wu.seg.start) == pytest.approx(list(seg.start), abs=1e-4)
    voice = dict(line.split("\t")[:3:2] for line in (out / "utterances.tsv").read_text().splitlines()[1:])
    engine = espeak_ng.espeak()
    for i in range(len(wu.seg)):
        engine.set_voice(engine.resolve_voice(voice[wu.seg.utt[i]]))
        assert [wu.symbols[j] for j in wu.sequences[i]] == engine.phonemes(wu.seg.word[i])
    # the two voices pronounce some word differently, so the file is per voice, not per word
    by_voice = {}
    for i in range(len(wu.seg)):
        by_voice.setdefault((wu.seg.word[i], voice[wu.seg.utt[i]]), tuple(wu.sequences[i].tolist()))
    assert any(by_voice[(w, "en-us")] != by_voice[(w, "en-gb-scotland")]
               for w in set(wu.seg.word) if (w, "en-us") in by_voice and (w, "en-gb-scotland") in by_voice)
