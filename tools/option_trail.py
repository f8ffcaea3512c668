"""Follow a training option from the command line to the training loop, and count the climbs.

    python tools/option_trail.py [TRAIN ARGS ...]

Runs ``spokenw2v train`` in this process (default: a 1-epoch e2e run on the LibriSpeech sample
of examples/data, into a temporary directory) and records every call of a spokenw2v function
that receives the run's options (a :class:`TrainOptions` or :class:`TrainConfig`, or the
command's keyword options) until the training loop (``spokenw2v.train``) is entered.  Each run
of consecutive calls in one module is a *stay*.  A module's *floor* is its height in the import
graph (a module that imports no other spokenw2v module is floor 0; otherwise one above the
highest module it imports), so the command line is the top floor.  A *climb* is a call from a
module into one on a higher floor: the option went back up the house.

Prints every such call (floor, module.function) and a summary line: rooms, stays, climbs, and
how often the trail returned to a higher floor (a helper called and left).
"""

from __future__ import annotations

import ast
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "spokenw2v"
SAMPLE = ROOT / "examples" / "data" / "librispeech-sample"


def module_imports() -> dict[str, set[str]]:
    """Each spokenw2v module -> the spokenw2v modules it imports (at any depth of its code)."""
    names = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[:len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                found |= {f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in names}
                found.add(target)
            elif isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
        graph[name] = {t for t in found if t in names and t != name}
    return graph


def floors(graph: dict[str, set[str]]) -> dict[str, int]:
    """Height of each module in the import graph (the graph has no cycle; a test keeps it so)."""
    height: dict[str, int] = {}

    def of(name: str) -> int:
        if name not in height:
            height[name] = 1 + max((of(t) for t in graph[name]), default=-1)
        return height[name]

    for name in graph:
        of(name)
    return height


def trail(args: list[str]) -> list[tuple[str, str, str]]:
    """(module, function, calling module) of every call that receives the options, in order,
    until the training loop."""
    from spokenw2v.cli import app
    from spokenw2v.config import TrainConfig
    from spokenw2v.trainoptions import TrainOptions

    carriers = (TrainOptions, TrainConfig)
    seen: list[tuple[str, str, str]] = []

    class Entered(Exception):
        pass

    def profile(frame, event, arg):
        if event != "call":
            return
        module = frame.f_globals.get("__name__", "")
        if not module.startswith("spokenw2v"):
            return
        if module == "spokenw2v.train":
            raise Entered
        values = list(frame.f_locals.values())
        if any(isinstance(v, carriers) for v in values) or (
                frame.f_code.co_name == "train_command" and "options" in frame.f_locals):
            caller = frame.f_back.f_globals.get("__name__", "") if frame.f_back else ""
            seen.append((module, frame.f_code.co_name, caller))

    sys.setprofile(profile)
    try:
        app(args, standalone_mode=False)
    except Entered:
        pass
    finally:
        sys.setprofile(None)
    return seen


def sample_run(tmp: str) -> list[str]:
    """Prepare units of the LibriSpeech sample in ``tmp``; the arguments of a 1-epoch e2e run on them."""
    from spokenw2v.cli import app

    for command in (["segments", str(SAMPLE / "alignments"), "--out", f"{tmp}/segs.tsv"],
                    ["featurize", str(SAMPLE / "dev-clean"), "--segments", f"{tmp}/segs.tsv", "--out",
                     f"{tmp}/mfcc.npz", "-q"],
                    ["discretize", f"{tmp}/mfcc.npz", "--k", "20", "--out", f"{tmp}/units.npz",
                     "--codebook", f"{tmp}/codebook.npz", "-q"]):
        app(command, standalone_mode=False)
    return ["train", "e2e", "--segments", f"{tmp}/segs.tsv", "--units", f"{tmp}/units.npz",
            "--min-count", "1", "--epochs", "1", "--out", f"{tmp}/run", "-q"]


def measure(seen: list[tuple[str, str, str]]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """(the stays, the calls that climb: from a lower floor into a higher one) of a trail."""
    height = floors(module_imports())
    modules = [m for m, _, _ in seen]
    stays = [m for i, m in enumerate(modules) if i == 0 or modules[i - 1] != m]
    climbs = [(m, f, c) for m, f, c in seen if c.startswith("spokenw2v") and height[m] > height[c]]
    return stays, climbs


def main(argv: list[str]) -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    with tempfile.TemporaryDirectory() as tmp:
        seen = trail(argv or sample_run(tmp))
    height = floors(module_imports())
    stays, climbs = measure(seen)
    for m, f, c in seen:
        mark = "  <- called from below by " + c if (m, f, c) in climbs else ""
        print(f"{height[m]:>3}  {m}.{f}{mark}")
    returns = sum(height[b] > height[a] for a, b in zip(stays, stays[1:]))
    print(f"{len(set(stays))} rooms in {len(stays)} stays; {len(climbs)} climb(s) back up (a call from a lower "
          f"floor into a higher one); {returns} return(s) to a higher floor")


if __name__ == "__main__":
    main(sys.argv[1:])
