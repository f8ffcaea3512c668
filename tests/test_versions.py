"""The one version policy of NPZ files, JSON records and torch files (spokenw2v.io.header):
versions 1 to the newest are read, a newer one is refused naming the file and the remedy, a
wrong format is refused, and a missing header is the original layout only where such files
were written (JSON records)."""

import json
import re

import numpy as np
import pytest

from spokenw2v import io
from spokenw2v.errors import SpokenW2VError

NEWER = re.escape("version 2 is newer than this spokenw2v reads (version 1); use the spokenw2v that wrote it")


def _features(path):
    info = io.FrameInfo(frame_rate=100.0, frame_offset=0.0, frame_width=0.025, feature="mfcc")
    io.write_features(path, io.Ragged.from_list(["a"], [np.zeros((3, 2), np.float16)], [0.03], info))


def _rewrite_npz(path, **header):
    """Rewrite the NPZ at ``path`` with its ``format``/``version`` replaced (None: removed)."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    for key, value in header.items():
        arrays.pop(key)
        if value is not None:
            arrays[key] = value
    np.savez(path, **arrays)


# ----------------------------------------------------------------------------- check_header


def test_check_header_reads_the_oldest_to_the_newest_version():
    for version in (2, 3):
        assert io.check_header("f", "kind", version, "kind", newest=3, oldest=2) == ("kind", version)
    with pytest.raises(SpokenW2VError, match=r"^f: kind version 1 is not supported \(this spokenw2v reads versions "
                                             r"2 to 3\)$"):
        io.check_header("f", "kind", 1, "kind", newest=3, oldest=2)
    with pytest.raises(SpokenW2VError, match=r"^f: kind version 4 is newer than this spokenw2v reads \(versions 2 to "
                                             r"3\); use the spokenw2v that wrote it$"):
        io.check_header("f", "kind", 4, "kind", newest=3, oldest=2)
    for bad in (True, "1", 1.0, 0, -1):
        with pytest.raises(SpokenW2VError, match="is not supported"):
            io.check_header("f", "kind", bad, "kind", newest=1)
    assert io.check_header("f", None, None, "kind", newest=2, headerless=1) == ("kind", 1)
    with pytest.raises(SpokenW2VError, match=r"^f: kind file without a version key"):
        io.check_header("f", "kind", None, "kind", newest=1)


# ----------------------------------------------------------------------------- NPZ files


def test_npz_of_todays_spokenw2v_loads_and_a_wrong_format_is_refused(tmp_path):
    path = tmp_path / "f.npz"
    _features(path)
    assert io.read_features(path).utt_ids == ["a"]
    _rewrite_npz(path, format=np.str_("spokenw2v-codebook"))
    with pytest.raises(SpokenW2VError, match=r"f.npz: expected a spokenw2v-features file, found spokenw2v-codebook$"):
        io.read_features(path)


def test_npz_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "f.npz"
    _features(path)
    _rewrite_npz(path, version=np.int64(2))
    with pytest.raises(SpokenW2VError, match=f"f.npz: spokenw2v-features {NEWER}$"):
        io.read_features(path)


def test_npz_without_a_header_is_refused(tmp_path):
    path = tmp_path / "f.npz"
    _features(path)
    _rewrite_npz(path, version=None)  # NPZ files always carried the header
    with pytest.raises(SpokenW2VError, match="f.npz: spokenw2v-features file without a version key"):
        io.read_features(path)
    _rewrite_npz(path, format=None)
    with pytest.raises(SpokenW2VError, match="f.npz: expected a spokenw2v-features file, found no format key"):
        io.read_features(path)


# ----------------------------------------------------------------------------- JSON records


def test_record_of_another_format_is_refused(tmp_path):
    path = tmp_path / "r.json"
    io.write_record(path, io.SYNTHESIS_FORMAT, {"runs": []})
    with pytest.raises(SpokenW2VError, match=r"r.json: expected a spokenw2v-noise-report record, found "
                                             r"spokenw2v-synthesis$"):
        io.read_record(path, io.NOISE_REPORT_FORMAT)


def test_record_of_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"format": io.NOISE_REPORT_FORMAT, "version": 2, "runs": []}))
    with pytest.raises(SpokenW2VError, match=f"r.json: spokenw2v-noise-report {NEWER}$"):
        io.read_record(path, io.NOISE_REPORT_FORMAT)


def test_record_without_a_header_is_read_as_version_1(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"runs": [1]}')  # written before records carried a header
    assert io.read_record(path, io.NOISE_REPORT_FORMAT) == {"runs": [1]}
    path.write_text(json.dumps({"format": io.NOISE_REPORT_FORMAT, "runs": [1]}))
    assert io.read_record(path, io.NOISE_REPORT_FORMAT) == {"runs": [1]}


# ----------------------------------------------------------------------------- torch files


@pytest.fixture
def torch_files():
    pytest.importorskip("torch")
    from spokenw2v import checkpoints

    return checkpoints


def test_checkpoint_of_another_format_is_refused(tmp_path, torch_files):
    path = tmp_path / "last.pt"
    torch_files.save_checkpoint(path, {"format": "spokenw2v-cae", "version": 1})
    with pytest.raises(SpokenW2VError, match=r"last.pt: expected a spokenw2v-checkpoint file, found spokenw2v-cae$"):
        torch_files.load_checkpoint(path)
    from spokenw2v.cae import load_encoder

    torch_files.save_checkpoint(path, {"format": "spokenw2v-checkpoint", "version": 1})
    with pytest.raises(SpokenW2VError, match=r"last.pt: expected a spokenw2v-cae file \(an encoder from `spokenw2v "
                                             r"cae`\), found spokenw2v-checkpoint$"):
        load_encoder(path)


def test_checkpoint_of_a_newer_version_is_refused(tmp_path, torch_files):
    path = tmp_path / "last.pt"
    torch_files.save_checkpoint(path, {"format": "spokenw2v-checkpoint", "version": 1, "step": 3})
    assert torch_files.load_checkpoint(path)["step"] == 3
    torch_files.save_checkpoint(path, {"format": "spokenw2v-checkpoint", "version": 2})
    with pytest.raises(SpokenW2VError, match=f"last.pt: spokenw2v-checkpoint {NEWER}$"):
        torch_files.load_checkpoint(path)


def test_checkpoint_without_a_header_is_refused(tmp_path, torch_files):
    path = tmp_path / "last.pt"
    torch_files.save_checkpoint(path, {"step": 3})  # checkpoints always carried the header
    with pytest.raises(SpokenW2VError, match="last.pt: expected a spokenw2v-checkpoint file, found no format key"):
        torch_files.load_checkpoint(path)
    torch_files.save_checkpoint(path, {"format": "spokenw2v-checkpoint"})
    with pytest.raises(SpokenW2VError, match="last.pt: spokenw2v-checkpoint file without a version key"):
        torch_files.load_checkpoint(path)
