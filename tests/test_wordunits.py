"""word-units' measures as a library call: the report record (the JSON keys the command writes
and the demo reads back) and the statistics lines the command logs, on two hand-made words."""

from __future__ import annotations

import pytest

from spokenw2v.errors import SpokenW2VError
from spokenw2v.io import read_units
from spokenw2v.wordunits import WordUnitsOptions, across_speakers_line, measure_word_units

from helpers import two_word_units


@pytest.fixture
def units_and_words(tmp_path):
    """Two utterances of 1 s at 100 frames/s: "a" is units 1 1 2 (merged 1 2) twice, "b" 3 then 4."""
    seg = two_word_units(tmp_path / "u.npz", ("s1-u1", "s2-u2"))
    return read_units(tmp_path / "u.npz"), seg


def test_the_report_holds_the_measures_under_the_keys_of_the_json_report(units_and_words):
    units, seg = units_and_words
    logged = []
    found = measure_word_units(units, seg, WordUnitsOptions(min_count=2, triplets=40, speaker_pattern="^(s[0-9])-"),
                               units_source="u.npz", segments_source="s.tsv", log=logged.append)
    assert [q.tolist() for q in found.sequences] == [[1, 2], [3], [1, 2], [4]]
    record = found.record()
    assert list(record) == ["units", "segments", "merge", "seed", "consensus", "statistics", "speakers"]
    assert (record["units"], record["segments"], record["merge"], record["seed"], record["consensus"]) == \
        ("u.npz", "s.tsv", True, 0, None)
    assert record["statistics"]["same_type_share"] == 0.5 and record["statistics"]["tokens"] == 4
    assert record["speakers"]["speakers"] == 2 and logged == []  # no consensus, nothing logged
    lines = found.lines()
    assert len(lines) == 3
    assert lines[0].startswith("4 word tokens, 1.50 units per token (merged), 3 distinct sequences; 2 word types")
    assert lines[1].startswith("2 types with >= 2 tokens: two tokens of a type share their sequence 50.0% of the time")
    assert lines[2] == across_speakers_line(record["speakers"])


def test_without_merging_or_speakers(units_and_words):
    units, seg = units_and_words
    found = measure_word_units(units, seg, WordUnitsOptions(merge=False, min_count=3), units_source="u",
                               segments_source="s")
    assert found.record()["merge"] is False and found.record()["speakers"] is None
    assert [len(q) for q in found.sequences] == [30, 30, 30, 30]  # one unit per 10 ms frame
    assert len(found.lines()) == 1 and "(not merged)" in found.lines()[0]  # no type has 3 tokens


def test_measures_missing_across_speakers_read_n_a():
    line = across_speakers_line({"speakers": 1, "across_types": 0, "triplets": 10, "abx_across": None,
                                 "abx_within": 0.25, "same_word_across": None, "same_word_within": 0.5,
                                 "different_words": None})
    assert line == ("1 speakers, 0 words said by two or more: ABX error across speakers n/a, within a speaker 25.0% "
                    "(10 triplets each); normalized edit distance of one word's tokens n/a across speakers, 0.500 "
                    "within a speaker, n/a different words")


@pytest.mark.parametrize("options, needle", [
    (dict(radius=0.2, device="cpu"), "--radius, --device only apply with --consensus FEATURES"),
    (dict(speakers="spk.tsv", speaker_pattern="x"), "give --speakers FILE or --speaker-pattern REGEX, not both"),
])
def test_options_that_do_not_go_together_are_refused(options, needle):
    with pytest.raises(SpokenW2VError) as exc:
        WordUnitsOptions(**options)
    assert str(exc.value) == needle
