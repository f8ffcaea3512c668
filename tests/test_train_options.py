"""``train``'s options are declared once, as the fields of TrainOptions: each field is an option of
the command (help, names, range), reaches the saved configuration, and a resumed run compares it,
or it says where the run keeps it instead."""

from __future__ import annotations

import dataclasses
import importlib.util
import enum
import inspect
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest
import typer

from spokenw2v.baseline import TextConfig
from spokenw2v.cli import app
from spokenw2v.config import (DATA_INPUTS, OPTIONAL_INPUTS, RESUMABLE_FIELDS, Kind, TrainConfig, describe_differences,
                              merged_config)
from spokenw2v.settings import POSITIVE, option
from spokenw2v.trainoptions import INPUT, OUTPUT, RECORD, RUN, TrainOptions, option_range
from spokenw2v.trainrun import epoch_line

ROOT = Path(__file__).resolve().parents[1]

BASE = {"kind": "e2e", "symbols": "units", "vocab_size": 12}


def undeclared(options: type, command) -> list[str]:
    """What the fields of ``options`` fail to declare or reach: the option of ``command`` (a
    click command) with the field's help and range, and a place where a run keeps the value."""
    params = {p.name: p for p in command.params}
    signature = inspect.signature(command.callback).parameters
    problems = []
    for f in dataclasses.fields(options):
        spec = f.metadata.get("option")
        if spec is None or not spec.help:
            problems.append(f"{f.name}: no option or no help text")
            continue
        param = params.get(f.name)
        if param is None or param.help != spec.help:
            problems.append(f"{f.name}: not an option of the command with its help text")
            continue
        if not spec.argument and ("--" + f.name.replace("_", "-")) not in param.opts + [
                o.split("/")[0] for o in spec.flags]:
            problems.append(f"{f.name}: the option is not called --{f.name.replace('_', '-')}")
        if spec.config and spec.config not in {g.name for g in dataclasses.fields(TrainConfig)}:
            problems.append(f"{f.name}: sets TrainConfig.{spec.config}, which does not exist (not saved)")
            continue
        if f.type.replace("Optional[", "").rstrip("]") in ("int", "float"):
            declared = getattr(signature[f.name].default, "spokenw2v_range", None)
            if declared is None or declared != option_range(spec):
                problems.append(f"{f.name}: a number without its range")
        homes = [bool(spec.config), bool(spec.text), bool(spec.kept)]
        if not any(homes) or (spec.kept and any(homes[:2])):
            problems.append(f"{f.name}: says neither a configuration field nor how the run keeps it")
        if spec.kept and spec.kept not in (INPUT, OUTPUT, RECORD, RUN):
            problems.append(f"{f.name}: kept as {spec.kept!r}")
        if spec.text and spec.text not in {g.name for g in dataclasses.fields(TextConfig)}:
            problems.append(f"{f.name}: sets TextConfig.{spec.text}, which does not exist (not saved)")
    return problems


def train_click_command():
    return typer.main.get_command(app).commands["train"]


def test_every_field_is_an_option_with_its_help_and_range_and_a_home():
    command = train_click_command()
    assert undeclared(TrainOptions, command) == []
    # the command has exactly these parameters, in field order (then --quiet): --help lists them so
    names = [p.name for p in command.params]
    assert names == [f.name for f in dataclasses.fields(TrainOptions)] + ["quiet"]


def help_of(name: str) -> str:
    return next(f.metadata["option"].help for f in dataclasses.fields(TrainOptions) if f.name == name)


def test_a_field_without_help_range_or_home_is_reported():
    """The check above can fail: a field missing any of its declarations is named."""

    @dataclass
    class Broken:
        kind: Kind = option(dataclasses.MISSING, help_of("kind"), argument=True, config="kind")
        out: Path = option(dataclasses.MISSING, "Another help text.", "--out", "-o", kept=RUN)  # not the command's
        corpus: Optional[Path] = option(None, help_of("corpus"), kept="somewhere")  # no such place
        window: Optional[int] = option(None, help_of("window"), config="windows")  # no such configuration field
        device: str = option("auto", help_of("device"))  # kept nowhere
        eval_every: int = option(1, help_of("eval_every"), kept=RUN)  # a number without its range
        test_seed: Optional[int] = option(None, help_of("test_seed"), range=POSITIVE, kept=RECORD)  # another range

    problems = undeclared(Broken, train_click_command())
    assert [p.split(":")[0] for p in problems] == ["out", "corpus", "window", "device", "eval_every", "test_seed"], \
        problems


def changed_value(name: str, annotation):
    """A valid value of TrainConfig field ``name``'s option other than its default."""
    kind = typing.get_args(annotation)[0] if typing.get_origin(annotation) is typing.Union else annotation
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return list(kind)[-1]  # paper, sequences, slot, cosine: none of them the default
    return {bool: False, int: 3, float: 0.5}[kind]


def test_every_configuration_option_is_saved_and_compared_on_resume():
    """Each option that sets a TrainConfig field reaches the saved configuration, and a resumed
    run given another value is refused unless the field is resumable; text fields reach TextConfig."""
    hints = typing.get_type_hints(TrainOptions)
    saved = merged_config(BASE, {}).to_dict()
    checked = 0
    for f in dataclasses.fields(TrainOptions):
        spec = f.metadata["option"]
        if not spec.config or spec.config == "kind":
            continue
        value = changed_value(spec.config, hints[f.name])
        opts = TrainOptions(kind=Kind.e2e, out=Path("run"), **{f.name: value})
        explicit = opts.config_values()
        explicit.pop("kind")
        plain = value.value if isinstance(value, enum.Enum) else value
        fresh = merged_config(BASE, explicit)
        assert getattr(fresh, spec.config) == plain, f.name  # in the saved configuration
        assert fresh.to_dict()[spec.config] != saved[spec.config], f.name
        resumed = merged_config(BASE, explicit, saved, "run/last.pt")
        differences = describe_differences(TrainConfig.from_dict(saved), resumed.resolved())
        named = [d for d in differences if d.startswith(spec.config + " ")]
        assert bool(named) == (spec.config not in RESUMABLE_FIELDS), (f.name, differences)
        if spec.text:
            assert getattr(TextConfig(**opts.text_values()), spec.text) == value, f.name
        checked += 1
    assert checked == 21


def test_the_run_records_the_inputs_and_takes_them_on_resume():
    opts = TrainOptions(kind=Kind.e2e, out=Path("run"), segments=Path("s.tsv"), units=Path("u.npz"),
                        token_vectors=Path("t.npz"))
    assert list(opts.paths(INPUT)) == ["corpus", "segments", "units", "word_units", "reference", "test_set"]
    assert opts.paths(OUTPUT) == {"token_vectors": Path("t.npz")}
    assert list(opts.paths(INPUT, resume="same")) == ["reference", "test_set"]
    # the paths a resumed run takes from its checkpoint (config.resumed_inputs) are exactly these
    assert {**opts.paths(INPUT), **opts.paths(OUTPUT)}.keys() == set(DATA_INPUTS + OPTIONAL_INPUTS)


def test_epoch_line_by_hand():
    row = {"epoch": 2, "loss": 3.14159, "examples_per_s": 12345.6, "A": 0.5, "dev_A": "", "A_partial": float("nan"),
           "B": -0.25}
    assert epoch_line(row) == "epoch 2: loss 3.142, 12,346 words/s, A 0.500 (dev -), A_partial -, B -0.250"
    first = dict(row, loss="", examples_per_s="")
    assert epoch_line(first).startswith("epoch 2: loss -, - words/s, A 0.500")


@pytest.mark.parametrize("given, message", [
    ({"lr": 2.0}, "--lr must be in (0, 1], found 2.0"),
    ({"window": 0}, "--window must be in [1, 2147483647], found 0"),
    ({"dim": 0}, "--dims must be in [1, 2147483647], found 0"),
    ({"epochs": -1}, "--epochs must be in [0, 2147483647], found -1"),
])
def test_the_configuration_checks_itself_naming_the_option(given, message):
    from spokenw2v.errors import SpokenW2VError

    with pytest.raises(SpokenW2VError, match="^" + message.replace("(", r"\(").replace("[", r"\[")):
        TrainConfig(vocab_size=5, **given).resolved()


def test_following_an_option_from_the_command_to_the_loop_climbs_back_up_at_most_three_times(tmp_path):
    spec = importlib.util.spec_from_file_location("option_trail", ROOT / "tools" / "option_trail.py")
    trail = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trail)
    seen = trail.trail(trail.sample_run(str(tmp_path)))
    stays, climbs = trail.measure(seen)
    assert ("spokenw2v.trainrun", "train_neural") in {(m, f) for m, f, _ in seen}, stays  # it reached the loop
    assert len(climbs) <= 3, climbs
