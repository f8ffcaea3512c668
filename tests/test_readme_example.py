"""The README's "Chaining stages by hand" commands run as written, from a fresh clone's root,
on the LibriSpeech sample shipped in examples/data."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import REPO

pytestmark = pytest.mark.slow


def _section_blocks(title: str) -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, re.S)


def test_readme_by_hand_example_runs_as_written(tmp_path):
    blocks = _section_blocks("Chaining stages by hand")
    assert len(blocks) >= 2 and "examples/data/librispeech-sample" in blocks[0]
    (tmp_path / "examples").symlink_to(REPO / "examples")  # the clone's root, without writing into it
    script = tmp_path / "readme.sh"
    script.write_text("set -euo pipefail\n" + "\n".join(blocks))
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    r = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr
    segs = (tmp_path / "segs.tsv").read_text().splitlines()
    assert len(segs) == 1 + 911  # header + every word token of the sample
    for out in ("mfcc.npz", "units.npz", "codebook.npz", "word-units.tsv", "runs/text/vectors.vec",
                "runs/e2e/vectors.vec", "runs/e2e/metrics.tsv", "runs/noisy-text/vectors.vec"):
        assert (tmp_path / out).stat().st_size > 0, out
    assert re.search(r"\be2e\s+\S\s+385 x 100\s", r.stdout), r.stdout  # evaluate's table: the model's row
