"""bench/fortunes_corpus.py: fortune files to one fortune per line, and the word budget."""

from __future__ import annotations

import importlib.util

from helpers import REPO


def _module():
    spec = importlib.util.spec_from_file_location("fortunes_corpus", REPO / "bench" / "fortunes_corpus.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


fc = _module()

FILE_A = (
    "A banker is a fellow who lends you his umbrella\n"
    "when the sun is shining.\n"
    "\t\t-- Mark Twain\n"
    "%\n"
    "Would you *_\x08_\x08_\x08_\x08_\x08_\x08really* go? It's ___\x08\x08\x08BIG.\n"
    "%\n"
    "\n"
    "%\n"
    "B\x08Bold end\n"
)
FILE_B = "one two three\n%\nfour five\n%\nsix\n"


def test_fortunes_one_per_line_overstriking_removed(tmp_path):
    p = tmp_path / "a"
    p.write_text(FILE_A, encoding="utf-8")
    assert fc.fortunes(p) == [
        "A banker is a fellow who lends you his umbrella when the sun is shining. -- Mark Twain",
        "Would you *really* go? It's BIG.",
        "Bold end",
    ]


def test_word_budget_stops_after_the_fortune_that_reaches_it(tmp_path, capsys):
    (tmp_path / "a").write_text(FILE_A, encoding="utf-8")
    (tmp_path / "b").write_text(FILE_B, encoding="utf-8")
    # file a has 17 + 6 + 2 = 25 tokens; b's first fortune brings it to 28
    assert fc.main(["--words", "26", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[-1] == "one two three"
    assert len(out.out.splitlines()) == 4
    assert "28 words" in out.err


def test_offensive_and_missing_files_refused(tmp_path, capsys):
    (tmp_path / "off").mkdir()
    (tmp_path / "off" / "x").write_text(FILE_B, encoding="utf-8")
    assert fc.main([str(tmp_path / "off" / "x")]) == 1
    assert fc.main([str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err.count("Error:") == 2
