"""Alignment importers (librispeech-alignments, TextGrid, CTM) and `spokenw2v segments`."""

import numpy as np
import pytest
from typer.testing import CliRunner

from spokenw2v.alignments import (AlignmentFormat, parse_ctm, parse_librispeech, parse_textgrid,
                                  read_alignment_file, read_alignments)
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import read_segments

runner = CliRunner()


def triples(tokens):
    return [(t.utt, round(t.start, 6), round(t.end, 6), t.word) for t in tokens]


# --------------------------------------------------------------------------- librispeech-alignments

LIBRI = ('84-121123-0000 ",GO,,DO,YOU,HEAR," "0.490,0.890,1.270,1.380,1.490,1.890,2.09" \n'
         '84-121123-0001 "A,,,B," "0.3,0.5,0.6,0.9,1.0" ')  # no trailing newline, space after quote


def test_librispeech_end_times_and_silences():
    toks = parse_librispeech(LIBRI, "x.alignment.txt")
    assert triples(toks) == [
        ("84-121123-0000", 0.49, 0.89, "GO"),
        ("84-121123-0000", 1.27, 1.38, "DO"),
        ("84-121123-0000", 1.38, 1.49, "YOU"),
        ("84-121123-0000", 1.49, 1.89, "HEAR"),
        ("84-121123-0001", 0.0, 0.3, "A"),  # first interval starts at 0
        ("84-121123-0001", 0.6, 0.9, "B"),  # two silences in a row
    ]
    assert [t.line for t in toks] == [1, 1, 1, 1, 2, 2]


@pytest.mark.parametrize("line, message", [
    ('u1 ",A,B," "0.1,0.2,0.3"', "x.alignment.txt:2 (utterance u1): 4 words (silences included) but 3 end times"),
    ('u1 ",A," "0.1,0.05,0.3"', "x.alignment.txt:2 (utterance u1): end times must increase"),
    ('u1 ",A," "0.1,zero,0.3"', "x.alignment.txt:2 (utterance u1): end times must be numbers"),
    ('u1 ,A, 0.1,0.2', "x.alignment.txt:2: expected UTT"),
    ('u1 ",A," "0.1,0.1,0.3"', "word 'A' has zero duration"),
])
def test_librispeech_errors_name_file_and_line(line, message):
    with pytest.raises(SpokenW2VError, match=None) as err:
        parse_librispeech('u0 "A" "0.5"\n' + line, "x.alignment.txt")
    assert message in str(err.value)


# --------------------------------------------------------------------------- TextGrid

TEXTGRID_LONG = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 2.5
tiers? <exists>
size = 2
item []:
    item [1]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 2.5
        intervals: size = 6
        intervals [1]:
            xmin = 0
            xmax = 0.42
            text = ""
        intervals [2]:
            xmin = 0.42
            xmax = 0.9
            text = "hello"
        intervals [3]:
            xmin = 0.9
            xmax = 1.1
            text = "<eps>"
        intervals [4]:
            xmin = 1.1
            xmax = 1.75
            text = "world's"
        intervals [5]:
            xmin = 1.75
            xmax = 2.0
            text = "sil"
        intervals [6]:
            xmin = 2.0
            xmax = 2.5
            text = "end"
    item [2]:
        class = "IntervalTier"
        name = "phones"
        xmin = 0
        xmax = 2.5
        intervals: size = 1
        intervals [1]:
            xmin = 0
            xmax = 2.5
            text = "HH"
'''

TEXTGRID_SHORT = '''File type = "ooTextFile"
Object class = "TextGrid"

0
2.5
<exists>
2
"IntervalTier"
"phones"
0
2.5
1
0
2.5
"HH"
"IntervalTier"
"words"
0
2.5
6
0
0.42
""
0.42
0.9
"hello"
0.9
1.1
"sp"
1.1
1.75
"world's"
1.75
2.0
""
2.0
2.5
"end"
'''

EXPECTED_TG = [("spk1_utt1", 0.42, 0.9, "hello"), ("spk1_utt1", 1.1, 1.75, "world's"), ("spk1_utt1", 2.0, 2.5, "end")]


def test_textgrid_long_and_short_formats():
    assert triples(parse_textgrid(TEXTGRID_LONG, "a.TextGrid", "spk1_utt1")) == EXPECTED_TG
    assert triples(parse_textgrid(TEXTGRID_SHORT, "a.TextGrid", "spk1_utt1")) == EXPECTED_TG


def test_textgrid_files_utf16_and_utt_from_name(tmp_path):
    long = tmp_path / "spk1_utt1.TextGrid"
    long.write_text(TEXTGRID_LONG, encoding="utf-16")  # Praat writes UTF-16 when text is not ASCII
    short = tmp_path / "other" / "spk1_utt2.TextGrid"
    short.parent.mkdir()
    short.write_text(TEXTGRID_SHORT, encoding="utf-8")
    seg = read_alignments([tmp_path], lowercase=False)
    assert seg.utt == ["spk1_utt1"] * 3 + ["spk1_utt2"] * 3
    np.testing.assert_allclose(seg.start, [0.42, 1.1, 2.0] * 2)
    np.testing.assert_allclose(seg.end, [0.9, 1.75, 2.5] * 2)
    assert seg.word == ["hello", "world's", "end"] * 2


def test_textgrid_without_words_tier_is_an_error():
    text = TEXTGRID_LONG.replace('name = "words"', 'name = "tokens"')
    with pytest.raises(SpokenW2VError, match=r"a.TextGrid: no tier named 'words' \(tiers: tokens, phones\)"):
        parse_textgrid(text, "a.TextGrid", "u")


def test_textgrid_reversed_interval_names_line():
    text = TEXTGRID_LONG.replace("xmax = 0.9\n", "xmax = 0.3\n")
    with pytest.raises(SpokenW2VError, match=r"a.TextGrid:20 \(utterance u\): interval 'hello' has end 0.3 s"):
        parse_textgrid(text, "a.TextGrid", "u")


# --------------------------------------------------------------------------- CTM

CTM = """;; comment
utt1 1 0.50 0.30 hello 0.98
utt1 1 0.80 0.20 <eps>
utt1 1 1.00 0.25 world
utt2 A 0.00 1.00 single"""


def test_ctm():
    assert triples(parse_ctm(CTM, "a.ctm")) == [
        ("utt1", 0.5, 0.8, "hello"), ("utt1", 1.0, 1.25, "world"), ("utt2", 0.0, 1.0, "single")]
    with pytest.raises(SpokenW2VError, match=r"a.ctm:2: expected 'utt channel start duration word"):
        parse_ctm("utt1 1 0.5 0.3 a\nutt1 1 0.9 hello", "a.ctm")
    with pytest.raises(SpokenW2VError, match=r"a.ctm:1 \(utterance utt1\): bad time"):
        parse_ctm("utt1 1 0.5 -0.1 a", "a.ctm")
    assert parse_ctm("utt1 1 0.5 0 a", "a.ctm") == []  # zero duration: dropped and counted


def test_overlapping_ctm_words_are_an_error(tmp_path):
    f = tmp_path / "x.ctm"
    f.write_text("u 1 0.0 0.5 a\nu 1 0.4 0.5 b\n")
    with pytest.raises(SpokenW2VError, match=r"x.ctm:2 \(utterance u\): segment 0.4-0.9 s overlaps"):
        read_alignment_file(f)


# --------------------------------------------------------------------------- detection, trees, duplicates


def test_format_detected_from_contents(tmp_path):
    for name, text, fmt_words in [("a.txt", LIBRI, "GO"), ("b.dat", CTM, "hello"), ("c", TEXTGRID_SHORT, "hello")]:
        f = tmp_path / name
        f.write_text(text)
        assert read_alignment_file(f)[0].word == fmt_words
    with pytest.raises(SpokenW2VError, match="cannot tell the alignment format"):
        (tmp_path / "d.txt").write_text("just some words here\n")
        read_alignment_file(tmp_path / "d.txt")


def test_utterance_in_two_files_is_an_error(tmp_path):
    (tmp_path / "a.alignment.txt").write_text('u1 "A" "0.5"')
    (tmp_path / "b.ctm").write_text("u1 1 0.0 0.5 A\n")
    with pytest.raises(SpokenW2VError, match=r"b.ctm: utterance u1 is also aligned in .*a.alignment.txt"):
        read_alignments([tmp_path])
    # an explicit format only picks up that format's files
    assert len(read_alignments([tmp_path], AlignmentFormat.CTM)) == 1


def test_segments_cli(tmp_path):
    (tmp_path / "al").mkdir()
    (tmp_path / "al" / "84-121123.alignment.txt").write_text(LIBRI)
    out = tmp_path / "segs.tsv"
    r = runner.invoke(app, ["segments", str(tmp_path / "al"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    lines = out.read_text().splitlines()
    assert lines[0] == "utt\tstart\tend\tword"
    assert lines[1] == "84-121123-0000\t0.4900\t0.8900\tgo"
    assert len(lines) == 7
    r = runner.invoke(app, ["segments", str(tmp_path / "al"), "--out", str(out), "--keep-case", "--format", "librispeech"])
    assert r.exit_code == 0 and read_segments(out).word[0] == "GO"

    bad = tmp_path / "bad.alignment.txt"
    bad.write_text('u1 ",A," "0.1,0.2"')
    out2 = tmp_path / "segs2.tsv"
    r = runner.invoke(app, ["segments", str(bad), "--out", str(out2)])
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [
        f"Error: {bad}:1 (utterance u1): 3 words (silences included) but 2 end times"]
    assert not out2.exists()


def test_librispeech_sample(librispeech_sample, tmp_path):
    seg = read_alignments([librispeech_sample / "alignments"])
    assert len(seg) == 911
    assert len(set(seg.word)) == 385
    assert len(seg.utterances()) == 49
    rows = [i for i, u in enumerate(seg.utt) if u == "84-121123-0000"]
    assert [(seg.start[i], seg.end[i], seg.word[i]) for i in rows] == [
        (0.49, 0.89, "go"), (1.27, 1.38, "do"), (1.38, 1.49, "you"), (1.49, 1.89, "hear")]
    out = tmp_path / "segs.tsv"
    r = runner.invoke(app, ["segments", str(librispeech_sample / "alignments"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    back = read_segments(out)
    assert len(back) == 911 and back.utt == seg.utt and back.word == seg.word
    np.testing.assert_allclose(back.end, seg.end)
