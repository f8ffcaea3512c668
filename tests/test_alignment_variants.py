"""Alignment files as other tools write them: MFA (single and multi-speaker), FAVE/P2FA,
WebMAUS, Praat (comments, multi-line labels, binary files), TIMIT-style trees, Kaldi and
NIST/sclite CTMs, legacy encodings -- and the summary line of `spokenw2v segments`."""

import numpy as np
import pytest
from typer.testing import CliRunner

from spokenw2v.alignments import (ReadOptions, ReadReport, UttId, parse_ctm, parse_textgrid,
                                  read_alignment_file, read_alignments)
from spokenw2v.cli import app
from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import read_segments

runner = CliRunner()


def triples(tokens):
    return [(t.utt, round(t.start, 6), round(t.end, 6), t.word) for t in tokens]


def rows(seg):
    return [(u, round(float(s), 6), round(float(e), 6), w) for u, s, e, w in zip(seg.utt, seg.start, seg.end, seg.word)]


def long_textgrid(tiers, xmax, indent="    "):
    """Praat's long text format (trailing spaces after values, as Praat writes them);
    ``tiers`` = [(name, [(xmin, xmax, text), ...])]; text may hold quotes and newlines."""
    i1, i2, i3 = indent, indent * 2, indent * 3
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "xmin = 0 ", f"xmax = {xmax} ",
           "tiers? <exists> ", f"size = {len(tiers)} ", "item []: "]
    for k, (name, intervals) in enumerate(tiers, start=1):
        out += [f"{i1}item [{k}]:", f'{i2}class = "IntervalTier" ', f'{i2}name = "{name}" ', f"{i2}xmin = 0 ",
                f"{i2}xmax = {xmax} ", f"{i2}intervals: size = {len(intervals)} "]
        for j, (a, b, text) in enumerate(intervals, start=1):
            text = text.replace('"', '""')
            out += [f"{i2}intervals [{j}]:", f"{i3}xmin = {a} ", f"{i3}xmax = {b} ", f'{i3}text = "{text}" ']
    return "\n".join(out) + "\n"


def short_textgrid(tiers, xmax):
    out = ['File type = "ooTextFile"', 'Object class = "TextGrid"', "", "0", str(xmax), "<exists>", str(len(tiers))]
    for name, intervals in tiers:
        out += ['"IntervalTier"', f'"{name}"', "0", str(xmax), str(len(intervals))]
        for a, b, text in intervals:
            out += [str(a), str(b), '"' + text.replace('"', '""') + '"']
    return "\n".join(out) + "\n"


def fill(words, xmax, silence=""):
    """Intervals covering [0, xmax): the words [(start, end, text)] with silences between."""
    out, t = [], 0
    for a, b, w in words:
        if a > t:
            out.append((t, a, silence))
        out.append((a, b, w))
        t = b
    if t < xmax:
        out.append((t, xmax, silence))
    return out


# --------------------------------------------------------------------------- TextGrid tiers of other aligners

SPK1 = [(0.2, 0.6, "hello"), (0.6, 1.1, "there")]
SPK2 = [(0.5, 0.9, "hi"), (1.0, 1.6, "you")]  # overlaps speaker 1: no error across speakers


@pytest.mark.parametrize("writer", [long_textgrid, short_textgrid])
def test_multi_speaker_mfa_gives_one_utterance_per_speaker(writer):
    text = writer([("spk1 - words", fill(SPK1, 2.0)), ("spk1 - phones", [(0, 2.0, "")]),
                   ("spk2 - words", fill(SPK2, 2.0)), ("spk2 - phones", [(0, 2.0, "")])], 2.0)
    report = ReadReport()
    toks = parse_textgrid(text, "conv.TextGrid", "conv", report=report)
    assert triples(toks) == [("conv-spk1", 0.2, 0.6, "hello"), ("conv-spk1", 0.6, 1.1, "there"),
                             ("conv-spk2", 0.5, 0.9, "hi"), ("conv-spk2", 1.0, 1.6, "you")]
    assert (report.speaker_files, report.speaker_utts) == (1, 2)
    assert report.tiers == {"* - words": 1}


def test_single_speaker_mfa_speaker_tier_keeps_the_file_name():
    text = long_textgrid([("61 - words", fill(SPK1, 2.0)), ("61 - phones", [(0, 2.0, "")])], 2.0)
    assert [t.utt for t in parse_textgrid(text, "a.TextGrid", "61-70968-0000")] == ["61-70968-0000"] * 2


def test_fave_speaker_word_tiers_with_spaces_in_names():
    # FAVE-align / P2FA: "SPEAKER - phone" and "SPEAKER - word" tiers, tab indents, upper case, sp
    text = long_textgrid([("Mary Smith - phone", [(0, 2.0, "")]),
                          ("Mary Smith - word", fill(SPK1, 2.0, silence="sp")),
                          ("John - phone", [(0, 2.0, "")]),
                          ("John - word", fill([(0.5, 0.9, "YEAH")], 2.0, silence="sp"))], 2.0, indent="\t")
    report = ReadReport()
    toks = parse_textgrid(text, "int1.TextGrid", "int1", report=report)
    assert triples(toks) == [("int1-Mary_Smith", 0.2, 0.6, "hello"), ("int1-Mary_Smith", 0.6, 1.1, "there"),
                             ("int1-John", 0.5, 0.9, "YEAH")]
    assert report.dropped == {"sp": 4}
    assert report.tiers == {"* - word": 1}


def test_webmaus_ort_mau_is_preferred_and_pause_marks_dropped():
    words = fill([(0.3, 0.7, "guten"), (0.7, 1.2, "Tag")], 1.5)
    text = long_textgrid([("ORT-MAU", words), ("KAN-MAU", [(0.3, 0.7, "gu:t@n"), (0.7, 1.2, "ta:k")]),
                          ("MAU", fill([(0.3, 0.7, "g"), (0.7, 1.2, "t")], 1.5, silence="<p:>"))], 1.5)
    assert [t.word for t in parse_textgrid(text, "a.TextGrid", "a")] == ["guten", "Tag"]
    # a file with both ORT and ORT-MAU: ORT-MAU (earlier in the default order), not both
    text = long_textgrid([("ORT", [(0, 1.5, "guten Tag")]), ("ORT-MAU", words)], 1.5)
    assert [t.word for t in parse_textgrid(text, "a.TextGrid", "a")] == ["guten", "Tag"]
    # ORT alone, and --tier ORT forcing it; <p:> inside the word tier is a dropped mark
    text = long_textgrid([("ORT", fill([(0.3, 1.2, "hallo")], 1.5, silence="<p:>"))], 1.5)
    report = ReadReport()
    assert [t.word for t in parse_textgrid(text, "a.TextGrid", "a", report=report)] == ["hallo"]
    assert report.dropped == {"<p:>": 2}


@pytest.mark.parametrize("name", ["word", "wrd", "WORDS"])
def test_other_word_tier_names(name):
    text = short_textgrid([("phone", [(0, 2.0, "x")]), (name, fill(SPK1, 2.0))], 2.0)
    assert [t.word for t in parse_textgrid(text, "a.TextGrid", "a")] == ["hello", "there"]


def test_tier_option_names_and_patterns_in_order():
    text = long_textgrid([("ORT", [(0, 1.5, "guten Tag")]), ("ORT-MAU", fill([(0.3, 0.7, "guten")], 1.5)),
                          ("spkA", fill([(0.1, 0.2, "a")], 1.5)), ("spkB", fill([(0.1, 0.3, "b")], 1.5))], 1.5)
    assert [t.word for t in parse_textgrid(text, "a.TextGrid", "a", ReadOptions(tiers=("ort",)))] == ["guten_Tag"]  # one word
    toks = parse_textgrid(text, "a.TextGrid", "a", ReadOptions(tiers=("nothing", "spk*", "ORT")))
    assert triples(toks) == [("a-spkA", 0.1, 0.2, "a"), ("a-spkB", 0.1, 0.3, "b")]
    with pytest.raises(SpokenW2VError) as err:
        parse_textgrid(text, "a.TextGrid", "a", ReadOptions(tiers=("words", "x*")))
    assert str(err.value) == ("a.TextGrid: no tier named 'words' (tiers: ORT, ORT-MAU, spkA, spkB); also looked "
                              "for x*; choose the word tier with --tier NAME")


def test_no_word_tier_lists_tiers_found_including_point_tiers():
    text = short_textgrid([("phones", [(0, 1, "a")])], 1).replace('<exists>\n1', '<exists>\n2', 1)
    text += '"TextTier"\n"words"\n0\n1\n1\n0.5\n"x"\n'
    with pytest.raises(SpokenW2VError, match=r"tiers: phones, words \(point tier\)\); also looked for word, "):
        parse_textgrid(text, "a.TextGrid", "a")


# --------------------------------------------------------------------------- the Praat text grammar

PRAAT_COMMENTS = '''File type = "ooTextFile"
Object class = "TextGrid"
! written by hand: Praat ignores everything after "!" outside strings
xmin = 0 ! start
xmax = 3 ! end 99
tiers? <exists>
size = 1
item []:
    item [1]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 3
        intervals: size = 4 ! four [1] intervals
        intervals [1]:
            xmin = 0
            xmax = 1
            text = "line one
line two"
        intervals [2]:
            xmin = 1
            xmax = 1.5
            text = "wow! [x] ""quoted"""
        intervals [3]:
            xmin = 1.5
            xmax = 2
            text = "[noise]"
        intervals [4]:
            xmin = 2
            xmax = 3
            text = "end"
'''


def test_praat_comments_multiline_labels_and_strings_with_marks():
    report = ReadReport()
    toks = parse_textgrid(PRAAT_COMMENTS, "c.TextGrid", "c", report=report)
    assert triples(toks) == [("c", 0.0, 1.0, "line_one_line_two"), ("c", 1.0, 1.5, 'wow!_[x]_"quoted"'),
                             ("c", 2.0, 3.0, "end")]
    assert [t.line for t in toks] == [16, 21, 29]  # lines of each interval's xmin
    assert report.joined == 2 and report.dropped == {"[noise]": 1}


def test_textgrid_errors_give_lines_after_multiline_labels():
    bad = PRAAT_COMMENTS.replace("xmax = 2\n", "xmax = two\n")
    with pytest.raises(SpokenW2VError, match=r"^c.TextGrid:27: malformed TextGrid \(expected interval xmax, found '\[noise\]'\)$"):
        parse_textgrid(bad, "c.TextGrid", "c")
    bad = PRAAT_COMMENTS.replace('text = "end"', 'text = "end')
    with pytest.raises(SpokenW2VError, match=r"^c.TextGrid:31: malformed TextGrid \(a string is opened"):
        parse_textgrid(bad, "c.TextGrid", "c")
    reversed_ = PRAAT_COMMENTS.replace("xmax = 3\n            text", "xmax = 1.9\n            text")
    with pytest.raises(SpokenW2VError, match=r"^c.TextGrid:29 \(utterance c\): interval 'end' has end 1.9 s"):
        parse_textgrid(reversed_, "c.TextGrid", "c")


def test_truncated_textgrid_names_its_last_line():
    text = long_textgrid([("words", fill(SPK1, 2.0))], 2.0)
    cut = text[: text.index('text = "there"')]
    with pytest.raises(SpokenW2VError, match=r"^a.TextGrid:25: TextGrid ends early \(expected interval text\)$"):
        parse_textgrid(cut, "a.TextGrid", "a")


def test_crlf_long_format_and_old_short_header():
    crlf = long_textgrid([("words", fill(SPK1, 2.0))], 2.0).replace("\n", "\r\n")
    assert [t.line for t in parse_textgrid(crlf, "a.TextGrid", "a")] == [20, 24]
    assert [t.line for t in parse_textgrid(crlf.replace("\r\n", "\r"), "a.TextGrid", "a")] == [20, 24]
    old = short_textgrid([("words", fill(SPK1, 2.0))], 2.0).replace('"ooTextFile"', '"ooTextFile short"')
    assert [t.word for t in parse_textgrid(old, "a.TextGrid", "a")] == ["hello", "there"]


def test_binary_and_chronological_textgrids_say_what_to_do(tmp_path):
    binary = tmp_path / "b.TextGrid"
    binary.write_bytes(b"ooBinaryFile\x08TextGrid\x00\x00\x00\x00\x00\x00\x00\x00\x40\x04")
    out = tmp_path / "s.tsv"
    r = runner.invoke(app, ["segments", str(binary), "--out", str(out)])
    assert r.exit_code == 1 and not out.exists()
    assert r.output.strip().splitlines() == [f"Error: {binary}: a binary Praat TextGrid; open it in Praat and save "
                                             "it as a text TextGrid (Save as text file...)"]
    chrono = tmp_path / "c.TextGrid"
    chrono.write_text('"Praat chronological TextGrid text file"\n0 2.5   ! Time domain.\n1   ! Number of tiers.\n')
    with pytest.raises(SpokenW2VError, match="a chronological TextGrid; open it in Praat and save it as a text"):
        read_alignment_file(chrono)


# --------------------------------------------------------------------------- trees: TIMIT-style names, Kaldi ctm


def _timit_tree(root):
    for spk, utt, word in [("FADG0", "SA1", "she"), ("FAKS0", "SA1", "had"), ("FADG0", "SI1279", "your")]:
        f = root / "train" / "dr1" / spk / f"{utt}.TextGrid"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(long_textgrid([("words", fill([(0.1, 0.4, word)], 1.0)), ("phones", [(0, 1.0, "")])], 1.0))


def test_repeated_file_names_in_speaker_folders_use_relative_paths(tmp_path):
    _timit_tree(tmp_path)
    report = ReadReport()
    seg = read_alignments([tmp_path / "train"], report=report)
    assert rows(seg) == [("dr1/FADG0/SA1", 0.1, 0.4, "she"), ("dr1/FADG0/SI1279", 0.1, 0.4, "your"),
                         ("dr1/FAKS0/SA1", 0.1, 0.4, "had")]
    assert "file names collide, e.g." in report.relpath and "utterance ids are relative paths" in report.summary()
    # one speaker folder alone: no collision, file names
    seg = read_alignments([tmp_path / "train" / "dr1" / "FADG0"], report=(report := ReadReport()))
    assert seg.utt == ["SA1", "SI1279"] and report.relpath == ""
    # asked for explicitly, relative to the directory given (two directories: their common parent)
    seg = read_alignments([tmp_path / "train" / "dr1" / "FADG0"], options=ReadOptions(utt_id=UttId.RELPATH))
    assert seg.utt == ["SA1", "SI1279"]
    seg = read_alignments([tmp_path / "train/dr1/FADG0", tmp_path / "train/dr1/FAKS0"], options=ReadOptions(utt_id="relpath"))
    assert seg.utt == ["FADG0/SA1", "FADG0/SI1279", "FAKS0/SA1"]


def test_same_file_given_twice_is_read_once(tmp_path):
    _timit_tree(tmp_path)
    f = tmp_path / "train/dr1/FADG0/SA1.TextGrid"
    report = ReadReport()
    seg = read_alignments([f.parent, f], report=report)
    assert seg.utt == ["SA1", "SI1279"] and report.duplicates == 1


KALDI_CTM = """103-1240-0000 1 0.59 0.20 chapter
103-1240-0000 1 0.79 0.31 one
103-1240-0000 1 1.10 0.00 <eps>
103-1240-0000 1 1.10 0.42 <UNK>
103-1240-0001 1 0.00 0.25 missus
"""


def test_kaldi_ctm_without_extension_is_found_in_a_tree(tmp_path):
    ctm = tmp_path / "exp" / "tri4b_ali_dev" / "ctm"
    ctm.parent.mkdir(parents=True)
    ctm.write_text(KALDI_CTM)
    (tmp_path / "exp" / "tri4b_ali_dev" / "ctm.log").write_text("not an alignment\n")
    report = ReadReport()
    seg = read_alignments([tmp_path / "exp"], report=report)
    assert rows(seg) == [("103-1240-0000", 0.59, 0.79, "chapter"), ("103-1240-0000", 0.79, 1.1, "one"),
                         ("103-1240-0001", 0.0, 0.25, "missus")]
    assert report.formats == {"ctm": 1} and report.dropped == {"<eps>": 1, "<UNK>": 1}


# --------------------------------------------------------------------------- CTM variants

NIST_CTM = """;; NIST RT-style CTM: utt channel start dur word conf type speaker
sw02001 A 0.50 0.30 hello 0.98 lex sw02001-A
sw02001 B 0.60 0.40 hi 0.91 lex sw02001-B extra
sw02001 A 0.80 0.00 uh 0.50 fp sw02001-A
sw02001 A 0.80 0.25 there NA lex sw02001-A
sw02001 B 1.00 0.20 [laughter] 1.0 non-lex sw02001-B
sw02005 A 0.10 0.20 okay 0.9 lex sw02005-A
"""


def test_nist_ctm_extra_fields_channels_and_zero_durations():
    report = ReadReport()
    toks = parse_ctm(NIST_CTM, "rt.ctm", report=report)
    assert sorted(triples(toks)) == [("sw02001-A", 0.5, 0.8, "hello"), ("sw02001-A", 0.8, 1.05, "there"),
                                     ("sw02001-B", 0.6, 1.0, "hi"), ("sw02005-A", 0.1, 0.3, "okay")]
    assert report.zero_duration == 1 and report.channel_files == 1 and report.dropped == {"[laughter]": 1}


def test_one_channel_per_utterance_keeps_utterance_ids():
    text = "utt1 1 0.50 0.30 hello\nutt2 A 0.00 1.00 single\n"
    assert [t.utt for t in parse_ctm(text, "a.ctm")] == ["utt1", "utt2"]


def test_rounding_overlaps_are_trimmed_up_to_the_tolerance(tmp_path):
    f = tmp_path / "r.ctm"
    f.write_text("u 1 0.500 0.301 a\nu 1 0.800 0.200 b\nu 1 1.000 0.100 c\n")  # a ends 1 ms after b starts
    report = ReadReport()
    assert triples(read_alignment_file(f, report=report)) == [("u", 0.5, 0.8, "a"), ("u", 0.8, 1.0, "b"),
                                                             ("u", 1.0, 1.1, "c")]
    assert report.trimmed == 1 and "trimmed 1 overlap(s) of <= 0.005 s" in report.summary()
    f.write_text("u 1 0.50 0.32 a\nu 1 0.80 0.20 b\n")  # 20 ms: a real overlap
    with pytest.raises(SpokenW2VError, match=r"r.ctm:2 \(utterance u\): segment 0.8-1 s overlaps the previous one "
                                             r"\(0.5-0.82 s\) by 0.02 s, more than --overlap-tolerance 0.005 s"):
        read_alignment_file(f)
    assert triples(read_alignment_file(f, options=ReadOptions(overlap_tolerance=0.03)))[0] == ("u", 0.5, 0.8, "a")
    with pytest.raises(SpokenW2VError, match="overlaps"):
        read_alignment_file(f, options=ReadOptions(overlap_tolerance=0))


SCLITE_CTM = """;; sclite alternations
sw02001 A 10.00 0.50 <ALT_BEGIN>
sw02001 A 10.00 0.25 i'm
sw02001 A 10.25 0.25 gonna
sw02001 A * * <ALT>
sw02001 A 10.00 0.50 um
sw02001 A * * <ALT_END>
sw02001 A 11.00 0.30 yes
sw02001 A * * <ALT_BEGIN>
sw02001 A * * @
sw02001 A * * <ALT>
sw02001 A 11.40 0.20 uh
sw02001 A * * <ALT_END>
"""


def test_sclite_alternations_keep_the_first_alternative(tmp_path):
    report = ReadReport()
    toks = parse_ctm(SCLITE_CTM, "h.ctm", report=report)
    assert triples(toks) == [("sw02001", 10.0, 10.25, "i'm"), ("sw02001", 10.25, 10.5, "gonna"),
                             ("sw02001", 11.0, 11.3, "yes")]
    assert report.alt_blocks == 2
    f = tmp_path / "hyp"  # no extension: detected from the contents even when the first line is <ALT_BEGIN>
    f.write_text(SCLITE_CTM.split("\n", 1)[1].replace("10.00 0.50 <ALT_BEGIN>", "* * <ALT_BEGIN>"))
    assert len(read_alignment_file(f)) == 3
    with pytest.raises(SpokenW2VError, match=r"h.ctm:2: <ALT_BEGIN> block is not closed by <ALT_END>"):
        parse_ctm("u A 0 1 a\nu A * * <ALT_BEGIN>\nu A 1 1 b\n", "h.ctm")
    with pytest.raises(SpokenW2VError, match=r"h.ctm:2 \(utterance u\): start and duration must be numbers, found "
                                             r"'\*' '\*' \(the first alternative of an <ALT_BEGIN> block needs times\)"):
        parse_ctm("u A * * <ALT_BEGIN>\nu A * * a\nu A * * <ALT_END>\n", "h.ctm")
    with pytest.raises(SpokenW2VError, match=r"h.ctm:1 \(utterance u\): <ALT> outside an <ALT_BEGIN>"):
        parse_ctm("u A * * <ALT>\n", "h.ctm")
    with pytest.raises(SpokenW2VError, match=r"h.ctm:3 \(utterance u\): <ALT_BEGIN> inside the block opened on line 1"):
        parse_ctm("u A * * <ALT_BEGIN>\nu A 0 1 a\nu A * * <ALT_BEGIN>\n", "h.ctm")


# --------------------------------------------------------------------------- dropped labels


MFA_MARKS = long_textgrid([("words", [(0, 0.3, ""), (0.3, 0.6, "<unk>"), (0.6, 0.9, "spn"), (0.9, 1.2, "Hello"),
                                      (1.2, 1.3, "sil"), (1.3, 1.4, "SP"), (1.4, 1.5, "<eps>"),
                                      (1.5, 1.8, "[noise]"), (1.8, 2.0, "world")])], 2.0)


def test_default_drop_list_and_counts():
    report = ReadReport()
    assert [t.word for t in parse_textgrid(MFA_MARKS, "m.TextGrid", "m", report=report)] == ["Hello", "world"]
    assert report.dropped == {"": 1, "<unk>": 1, "spn": 1, "sil": 1, "SP": 1, "<eps>": 1, "[noise]": 1}


def test_summary_names_the_most_frequent_dropped_labels():
    report = ReadReport(formats={"ctm": 1}, dropped={f"[n{i:02d}]": 20 - i for i in range(15)})
    assert report.summary() == ("Read 1 file(s) (ctm 1); dropped 195 non-word labels: " + ", ".join(
        f"[n{i:02d}] {20 - i}" for i in range(12)) + ", 3 other labels 21.")  # 8 + 7 + 6


def test_drop_option_custom_and_empty():
    keep_all = ReadOptions(drop=("",))
    assert [t.word for t in parse_textgrid(MFA_MARKS, "m.TextGrid", "m", keep_all)] == [
        "<unk>", "spn", "Hello", "sil", "SP", "<eps>", "[noise]", "world"]  # the empty label is never a word
    custom = ReadOptions(drop=("hel*", "[*]"))
    assert [t.word for t in parse_textgrid(MFA_MARKS, "m.TextGrid", "m", custom)] == [
        "<unk>", "spn", "sil", "SP", "<eps>", "world"]


# --------------------------------------------------------------------------- encodings


def test_legacy_encoding_needs_encoding_option(tmp_path):
    f = tmp_path / "zh.ctm"
    f.write_bytes("utt1 1 0.00 0.40 你好\nutt1 1 0.40 0.50 世界\n".encode("gb18030"))
    with pytest.raises(SpokenW2VError, match=r"zh.ctm:1: not UTF-8 or UTF-16 text \(byte 0x.."
                                             r"\); give the file's encoding with --encoding, e.g. --encoding gb18030"):
        read_alignment_file(f)
    assert [t.word for t in read_alignment_file(f, options=ReadOptions(encoding="gb18030"))] == ["你好", "世界"]
    utf16 = tmp_path / "a.TextGrid"  # a BOM still decides
    utf16.write_text(long_textgrid([("words", fill(SPK1, 2.0))], 2.0), encoding="utf-16")
    assert len(read_alignment_file(utf16, options=ReadOptions(encoding="gb18030"))) == 2
    utf8 = tmp_path / "b.ctm"
    utf8.write_bytes("utt1 1 0.00 0.40 你好\n".encode("utf-8-sig"))
    assert [t.word for t in read_alignment_file(utf8, options=ReadOptions(encoding="gb18030"))] == ["你好"]
    with pytest.raises(SpokenW2VError, match="unknown text encoding 'klingon'"):
        ReadOptions(encoding="klingon")


# --------------------------------------------------------------------------- the command line


def test_segments_cli_options_and_summary_line(tmp_path):
    _timit_tree(tmp_path)
    conv = tmp_path / "train" / "conv.TextGrid"
    conv.write_text(long_textgrid([("spk1 - words", fill(SPK1, 2.0)), ("spk2 - words", fill(SPK2, 2.0))], 2.0))
    ctm = tmp_path / "train" / "rt.ctm"
    ctm.write_bytes(NIST_CTM.replace("hello", "héllo").encode("latin-1"))
    out = tmp_path / "segs.tsv"
    r = runner.invoke(app, ["segments", str(tmp_path / "train"), "--out", str(out), "--encoding", "latin-1"])
    assert r.exit_code == 0, r.output
    summary, *wrote = r.output.strip().splitlines()  # the summary is one line however long
    assert summary == (
        "Read 5 file(s) (ctm 1, textgrid 4; tiers: 'words' 3, '* - words' 1); dropped 12 non-word labels: "
        "empty (silence) 11, [laughter] 1; dropped 1 zero-duration word(s); split 1 multi-speaker TextGrid(s) into 2 "
        "FILE-SPEAKER utterances; named utterances UTT-CHANNEL in 1 multi-channel CTM file(s); utterance ids are "
        f"relative paths (file names collide, e.g. {tmp_path / 'train/dr1/FADG0/SA1.TextGrid'} and "
        f"{tmp_path / 'train/dr1/FAKS0/SA1.TextGrid'}).")
    assert " ".join(" ".join(wrote).split()).startswith(f"Wrote {out}: 11 word tokens")  # wrapped at the terminal width
    seg = read_segments(out)
    assert seg.utterances() == ["conv-spk1", "conv-spk2", "dr1/FADG0/SA1", "dr1/FADG0/SI1279", "dr1/FAKS0/SA1",
                                "sw02001-A", "sw02001-B", "sw02005-A"]
    assert "héllo" in seg.word

    r = runner.invoke(app, ["segments", str(conv), "--out", str(out), "--tier", "spk2*", "--drop", "", "-q"])
    assert r.exit_code == 0 and r.output == ""
    assert rows(read_segments(out)) == [("conv", 0.5, 0.9, "hi"), ("conv", 1.0, 1.6, "you")]
    r = runner.invoke(app, ["segments", str(conv), "--out", str(out), "--tier", "phones"])
    assert r.exit_code == 1 and "no tier named 'phones' (tiers: spk1 - words, spk2 - words)" in r.output
    r = runner.invoke(app, ["segments", str(ctm), "--out", str(out), "--overlap-tolerance", "-1"])
    assert r.exit_code == 1 and "--overlap-tolerance must be >= 0" in r.output
    r = runner.invoke(app, ["segments", str(tmp_path / "train/dr1"), "--out", str(out), "--utt-id", "name"])
    assert r.exit_code == 0  # the default; collisions still switch to relative paths
    assert read_segments(out).utterances() == ["FADG0/SA1", "FADG0/SI1279", "FAKS0/SA1"]


def test_standard_mfa_output_is_unchanged(tmp_path):
    """A plain MFA corpus reads as before: ids = file names, silences dropped, summary says so."""
    for name in ("s1_u1", "s1_u2"):
        (tmp_path / "s1").mkdir(exist_ok=True)
        (tmp_path / "s1" / f"{name}.TextGrid").write_text(
            long_textgrid([("words", fill(SPK1, 2.0)), ("phones", [(0, 2.0, "")])], 2.0))
    report = ReadReport()
    seg = read_alignments([tmp_path], report=report)
    assert seg.utterances() == ["s1_u1", "s1_u2"]
    np.testing.assert_allclose(seg.end, [0.6, 1.1] * 2)
    assert report.summary() == "Read 2 file(s) (textgrid 2; tiers: 'words' 2); dropped 4 non-word labels: empty (silence) 4."
