"""The installation: torch and torchaudio load together, a broken pair is one Error: line,
`doctor`/`--version` report the stack, and the environment is the lock."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib

import numpy as np
import pytest
from typer.testing import CliRunner

from helpers import LIBRISPEECH_SAMPLE, REPO
from spokenw2v import __version__
from spokenw2v.cli import app
from spokenw2v.environment import LOCK_FILE, check_stack, lock_differences, stack_error

runner = CliRunner()


def test_torch_and_torchaudio_load_together_and_compute():
    """The installed pair loads and runs the two torchaudio operations spokenw2v uses (a
    torchaudio built for another torch fails here, at import or at the first call)."""
    check_stack()
    from spokenw2v.audio import resample
    from spokenw2v.features import MFCCFeaturizer

    t = np.arange(22050, dtype=np.float32) / 22050
    wave = (0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = resample(wave, 22050, 16000)
    assert out.shape == (16000,) and np.isfinite(out).all()
    feats = MFCCFeaturizer()([out])[0]
    assert feats.shape == (101, 39) and np.isfinite(feats).all()


def _broken_torchaudio(tmp_path):
    """A stand-in torchaudio that fails to load as one built for another torch does."""
    fake = tmp_path / "fake" / "torchaudio"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise OSError('Could not load this library: /venv/torchaudio/lib/libtorchaudio.so: undefined symbol: "
        "torch_exception_get_what_without_backtrace')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path / "fake"))
    return env


def test_a_broken_pair_is_one_error_line_naming_both_versions(tmp_path):
    env = _broken_torchaudio(tmp_path)
    out = tmp_path / "feats.npz"
    r = subprocess.run([sys.executable, "-m", "spokenw2v", "featurize", str(LIBRISPEECH_SAMPLE / "dev-clean"),
                        "--feature", "mfcc", "--out", str(out), "--device", "cpu", "-q"],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: torchaudio "), r.stderr
    from spokenw2v.environment import installed_version

    assert f"torchaudio {installed_version('torchaudio')} does not load with torch {installed_version('torch')}" \
        in lines[0]
    assert "undefined symbol" in lines[0] and "bash install.sh" in lines[0]
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["fake"]

    r = subprocess.run([sys.executable, "-m", "spokenw2v", "doctor"], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 1 and "BROKEN" in r.stdout
    assert r.stderr.strip().startswith("Error: torchaudio ") and len(r.stderr.strip().splitlines()) == 1


def test_doctor_and_version_report_the_stack():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"spokenw2v {__version__}"
    r = runner.invoke(app, ["doctor"])
    assert r.exit_code == 0, r.output
    rows = dict(re.split(r"\s{2,}", line.strip(), maxsplit=1) for line in r.output.strip().splitlines())
    for name in ("spokenw2v", "python", "torch", "torchaudio", "cuda", "espeak-ng", "lock"):
        assert name in rows, r.output
    assert rows["torch + torchaudio"] == "load together"
    assert runner.invoke(app, ["doctor", "--quiet"]).output == ""
    assert stack_error() is None


def test_lock_differences_read_versions_and_markers(tmp_path):
    from spokenw2v.environment import installed_version

    numpy_v = installed_version("numpy")
    lock = tmp_path / "lock.txt"
    lock.write_text(f"# comment\nnumpy=={numpy_v} \\\n    --hash=sha256:00\n"
                    "scipy==0.0.1 ; python_full_version >= '3.0' \\\n    --hash=sha256:00\n"
                    "gensim==0.0.1 ; sys_platform == 'no-such-platform'\n"
                    "no-such-package-xyz==1.0\n")
    found = {d.name: (d.locked, d.installed) for d in lock_differences(lock)}
    assert found == {"scipy": ("0.0.1", installed_version("scipy")), "no-such-package-xyz": ("1.0", None)}
    assert lock_differences(tmp_path / "absent.txt") is None


def test_the_lock_pins_everything_pyproject_asks_for_and_the_same_torch_pair():
    """pyproject.toml states the one torch/torchaudio pair the lock holds, and the lock names every
    dependency (and test extra) at one exact version."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lock = LOCK_FILE.read_text()
    pins = {m.group(1).lower(): m.group(2) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==([^ ;\\\n]+)", lock, re.M)}
    for req in project["dependencies"] + project["optional-dependencies"]["test"]:
        name = re.split(r"[=<>!~ ;\[]", req, maxsplit=1)[0].lower()
        assert name in pins, f"{name} is not in {LOCK_FILE.name}"
    for name in ("torch", "torchaudio"):
        assert f"{name}=={pins[name]}" in project["dependencies"], (name, pins[name])
    assert all(line.strip().startswith(("#", "--hash", "")) for line in lock.splitlines())


@pytest.mark.skipif(os.environ.get("SPOKENW2V_UPGRADE_CHECK") == "1",
                    reason="tools/upgrade_check.sh tests newer versions than the lock on purpose")
@pytest.mark.skipif(not (REPO / ".venv").is_dir() or not sys.prefix.startswith(str(REPO)),
                    reason="runs in the checkout's own .venv (made by install.sh)")
def test_the_environment_install_sh_made_is_the_lock():
    """install.sh installed exactly the lock: no package at another version, none missing."""
    assert lock_differences() == []
