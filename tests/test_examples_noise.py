"""examples/noise_sweep.sh runs end to end in its tiny mode."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "examples" / "noise_sweep.sh"


def kjv_lines(n_words: int) -> list[str]:
    """The first verses of the King James Bible (Debian bible-kjv); skips when it is absent."""
    from spokenw2v.corpus import demo_corpus
    from spokenw2v.errors import SpokenW2VError

    try:
        return demo_corpus(n_words)
    except SpokenW2VError as exc:
        pytest.skip(str(exc))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
def test_noise_sweep_tiny(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(kjv_lines(12000)) + "\n")  # TINY keeps the first 400 lines
    out = tmp_path / "sweep"
    env = {**os.environ, "TINY": "1", "SPEECH_LINES": "6", "OMP_WAIT_POLICY": "PASSIVE",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["bash", str(SCRIPT), str(corpus), str(out)], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (out / "sweep.png").stat().st_size > 1000
    with open(out / "sweep.tsv", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    assert [(r["noise"], r["rate"]) for r in rows] == [
        ("substitute (text)", "0.00"), ("substitute (text)", "0.40"),
        ("split (oracle)", "0.00"), ("split (oracle)", "0.40")]
    text = {r["rate"]: r for r in rows if r["noise"].startswith("substitute")}
    # 40% substituted tokens: the realised rate matches and metric A falls
    assert abs(float(text["0.40"]["realised"]) - 0.4) < 0.05
    assert float(text["0.40"]["A"]) < float(text["0.00"]["A"])
    split = {r["rate"]: r for r in rows if r["noise"].startswith("split")}
    assert float(split["0.00"]["boundary_f1"]) == 1.0
    assert float(split["0.40"]["boundary_f1"]) < 1.0


def test_noise_sweep_usage():
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage:" in proc.stderr
