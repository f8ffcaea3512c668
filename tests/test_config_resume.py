"""The configuration and inputs of a resumed run (spokenw2v.config), hand-checked."""

from pathlib import Path

import pytest

from spokenw2v.config import TrainConfig, merged_config, resumed_inputs
from spokenw2v.errors import SpokenW2VError

SAVED = {"corpus": "", "segments": "/d/segs.tsv", "units": "/d/units.npz", "word_units": "",
         "reference": "/d/ref.vec", "test_set": "", "token_vectors": "/d/tok.npz"}
NONE = dict.fromkeys(("corpus", "segments", "units", "word_units", "reference", "test_set", "token_vectors"))


def test_resumed_inputs_take_the_data_as_a_group_and_the_others_one_by_one():
    paths = resumed_inputs(SAVED, {**NONE, "test_set": Path("mine.tsv")})
    assert paths == {"corpus": None, "segments": Path("/d/segs.tsv"), "units": Path("/d/units.npz"),
                     "word_units": None, "reference": Path("/d/ref.vec"), "test_set": Path("mine.tsv"),
                     "token_vectors": Path("/d/tok.npz")}
    # data given: none of the saved data is taken (not even --units), the rest still is
    paths = resumed_inputs(SAVED, {**NONE, "corpus": Path("c.txt"), "reference": Path("r.vec")})
    assert (paths["corpus"], paths["segments"], paths["units"]) == (Path("c.txt"), None, None)
    assert (paths["reference"], paths["token_vectors"]) == (Path("r.vec"), Path("/d/tok.npz"))
    # a checkpoint without recorded inputs completes nothing
    assert resumed_inputs({}, NONE) == NONE


def test_merged_config_of_a_fresh_run_is_resolved_from_the_options():
    base = {"kind": "e2e", "symbols": "chars", "vocab_size": 27}
    cfg = merged_config(base, {"scale": 2, "lr": None, "window": 3})
    assert (cfg.scale, cfg.window, cfg.hidden, cfg.dim, cfg.lr, cfg.vocab_size) == (2, 3, 100, 200, 5e-3, 27)


def test_merged_config_of_a_resumed_run_keeps_the_checkpoint_and_takes_the_options():
    base = {"kind": "e2e", "symbols": "chars", "vocab_size": 27}
    saved = TrainConfig(**base, window=2, epochs=3).resolved().to_dict()
    cfg = merged_config(base, {"epochs": 6, "seed": None}, saved, "run/last.pt")
    assert (cfg.window, cfg.epochs, cfg.lr, cfg.seed) == (2, 6, 1e-2, 0)  # fast on characters at s = 1
    # an explicit option replaces the saved field, derived fields stay as saved (the trainer then
    # reports every difference from the checkpoint)
    cfg = merged_config(base, {"scale": 2}, saved, "run/last.pt")
    assert (cfg.scale, cfg.dim, cfg.hidden) == (2, 100, 50)
    with pytest.raises(SpokenW2VError, match=r"^run/last.pt: checkpoint of another configuration \(kind e2e, "
                                             r"not two-stage\)"):
        merged_config({**base, "kind": "two-stage"}, {}, saved, "run/last.pt")
