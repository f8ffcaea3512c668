"""The one sweep runner behind segment-noise, text-noise and unit-noise: a plan of settings,
every setting computed before the first output is written, one output and its report all
or nothing, a sweep directory built beside the old one and renamed into place as a whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spokenw2v import sweep
from spokenw2v.errors import SpokenW2VError

from helpers import snapshot


def write_text(path: Path, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")


def doubled(values: dict[str, float]) -> tuple[str, dict]:
    """A stand-in operation: its output is text, its run object names every value doubled."""
    return f"{values}\n", {"input": "in.txt", **{f"twice_{k}": 2 * v for k, v in values.items()}}


def test_one_value_per_option_is_one_output_at_out(tmp_path):
    plan = sweep.plan_sweep(tmp_path / "o.txt", {"a": [0.1], "b": [0.0]}, ".txt")
    assert not plan.is_sweep and plan.paths == [tmp_path / "o.txt"]
    assert plan.settings[0].values == {"a": 0.1, "b": 0.0}
    assert plan.outputs(tmp_path / "r.json") == [tmp_path / "o.txt", tmp_path / "r.json"]


def test_a_list_plans_one_file_per_value_in_the_directory(tmp_path):
    plan = sweep.plan_sweep(tmp_path / "s", {"a": [0.2], "b": [0.0, 0.005, 1.0]}, ".tsv")
    assert [p.name for p in plan.paths] == ["b-0.00.tsv", "b-0.005.tsv", "b-1.00.tsv"]
    assert [s.values for s in plan.settings] == [{"a": 0.2, "b": 0.0}, {"a": 0.2, "b": 0.005}, {"a": 0.2, "b": 1.0}]
    assert plan.outputs(None) == [tmp_path / "s", *plan.paths, None]


@pytest.mark.parametrize("out, options, needle", [
    ("s", {"a": [0.1, 0.2], "b": [0.1, 0.3]}, "only one option may list several values (found --a and --b)"),
    ("-", {"a": [0.1, 0.2]}, "--out -: a sweep (--a lists several values)"),
])
def test_plans_that_cannot_be_written_are_refused(tmp_path, out, options, needle):
    with pytest.raises(SpokenW2VError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        sweep.plan_sweep(Path(out) if out == "-" else tmp_path / out, options, ".txt")


def test_a_sweep_writes_its_directory_marker_and_report_once_every_setting_is_computed(tmp_path):
    out = tmp_path / "s"
    plan = sweep.plan_sweep(out, {"a": [0.5], "b": [0.1, 0.2]}, ".txt")
    seen = []

    def run_setting(values):
        seen.append((dict(values), out.exists()))  # nothing may be written before every setting ran
        return doubled(values)

    runs = sweep.run_sweep(plan, run_setting, write_text, out / "report.json")
    assert seen == [({"a": 0.5, "b": 0.1}, False), ({"a": 0.5, "b": 0.2}, False)]
    assert [list(r)[:2] for r in runs] == [["output", "input"]] * 2
    assert [r["output"] for r in runs] == [str(out / "b-0.10.txt"), str(out / "b-0.20.txt")]
    assert (out / "b-0.20.txt").read_text() == "{'a': 0.5, 'b': 0.2}\n"
    assert (out / sweep.SWEEP_MARKER).read_text().splitlines() == ["spokenw2v sweep outputs", "b-0.10.txt",
                                                                   "b-0.20.txt", "report.json"]
    doc = json.loads((out / "report.json").read_text())
    assert doc["format"] == "spokenw2v-noise-report" and doc["runs"] == runs


def test_a_rerun_replaces_the_sweep_as_a_whole_and_refuses_a_foreign_file(tmp_path):
    out = tmp_path / "s"
    sweep.run_sweep(sweep.plan_sweep(out, {"b": [0.1, 0.2]}, ".txt"), doubled, write_text, None)
    sweep.run_sweep(sweep.plan_sweep(out, {"b": [0.3, 0.4]}, ".txt"), doubled, write_text, None)
    assert sorted(p.name for p in out.iterdir()) == [sweep.SWEEP_MARKER, "b-0.30.txt", "b-0.40.txt"]
    write_text(out / "mine.txt", "mine\n")
    with pytest.raises(SpokenW2VError, match="mine.txt"):
        sweep.plan_sweep(out, {"b": [0.5, 0.6]}, ".txt")


def test_a_failing_setting_or_write_leaves_the_earlier_sweep_untouched(tmp_path):
    out = tmp_path / "s"
    sweep.run_sweep(sweep.plan_sweep(out, {"b": [0.1, 0.2]}, ".txt"), doubled, write_text, tmp_path / "r.json")
    before = snapshot(tmp_path)

    def fails_at(value):
        def run_setting(values):
            if values["b"] == value:
                raise SpokenW2VError("bad setting")
            return doubled(values)
        return run_setting

    def write_fails_second(path, text):
        if path.name.startswith("b-0.40"):
            raise OSError(28, "No space left on device", str(path))
        write_text(path, text)

    plan = sweep.plan_sweep(out, {"b": [0.3, 0.4]}, ".txt")
    with pytest.raises(SpokenW2VError):
        sweep.run_sweep(plan, fails_at(0.4), write_text, tmp_path / "r.json")
    with pytest.raises(OSError):
        sweep.run_sweep(plan, doubled, write_fails_second, tmp_path / "r.json")
    assert snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "s"]


def test_one_output_and_its_report_are_written_all_or_nothing(tmp_path):
    plan = sweep.plan_sweep(tmp_path / "o.txt", {"b": [0.1]}, ".txt")
    runs = sweep.run_sweep(plan, doubled, write_text, tmp_path / "r.json")
    assert runs == [{"output": str(tmp_path / "o.txt"), "input": "in.txt", "twice_b": 0.2}]
    assert json.loads((tmp_path / "r.json").read_text())["runs"] == runs

    def report_fails(path, fmt, payload):
        raise OSError(28, "No space left on device", str(path))

    (tmp_path / "o.txt").unlink()
    (tmp_path / "r.json").unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sweep, "write_record", report_fails)
        with pytest.raises(OSError):
            sweep.run_sweep(plan, doubled, write_text, tmp_path / "r.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text, seconds, expected", [("0, 0.1,1", False, [0.0, 0.1, 1.0]), ("2.5", True, [2.5])])
def test_values_are_parsed(text, seconds, expected):
    assert sweep.parse_values(text, "--x", seconds=seconds) == expected


@pytest.mark.parametrize("text, seconds, needle", [
    ("1.5", False, "expected a rate in [0, 1]"), ("-1", True, "expected a duration >= 0 in seconds"),
    ("nan", False, "found 'nan'"), ("0.1,0.1", False, "repeats a value"),
])
def test_bad_values_name_the_option(text, seconds, needle):
    with pytest.raises(SpokenW2VError) as exc:
        sweep.parse_values(text, "--x", seconds=seconds)
    assert str(exc.value).startswith("--x: ") and needle in str(exc.value)
