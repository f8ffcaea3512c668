"""One demo run (:func:`run_demo`): the output directory and its ``demo.json`` checked, the
demo text written, the stages of :func:`~.plan.plan` run, the pipeline statistics of the
units written, and the text the command prints returned."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from ..errors import SpokenW2VError
from ..io import (DEMO_FORMAT, NOISE_REPORT_FORMAT, WORD_UNITS_REPORT_FORMAT, atomic_write_text, read_record,
                  read_tsv, record_payload, write_record)
from ..rundir import check_output_dir, marked_by
from .config import DemoConfig, layout
from .plan import plan
from .scheduler import run_stages, side_by_side
from .speech_statistics import write_pipeline_statistics
from .table import (consensus_paragraph, festival_paragraph, figures_paragraph, models_legend, results_table,
                    statistics_paragraph, textless_paragraph)

#: The file that marks a demo run directory and records its settings.
DEMO_RECORD = "demo.json"
#: Stages named in the closing log line, the slowest first.
SLOWEST_SHOWN = 4


@dataclass
class DemoResult:
    """What a demo run gives back: the text to print (the table and its legends), the
    (stage, seconds) of each stage it ran, and its wall-clock seconds."""

    summary: str
    timings: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0

    def closing_line(self) -> str:
        """``demo: finished in M min (slowest stages: ...)``, the log line that ends a run."""
        slowest = sorted(self.timings, key=lambda timing: -timing[1])[:SLOWEST_SHOWN]
        named = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in slowest)
        return f"demo: finished in {self.seconds / 60:.1f} min" + (f" (slowest stages: {named})" if named else "")


def check_record(out: Path, settings: dict) -> None:
    """Write ``settings`` as ``out/demo.json``, or, when the directory holds one already,
    check that it records the same settings (a run with other settings is refused)."""
    record_path = out / DEMO_RECORD
    if not record_path.is_file():
        write_record(record_path, DEMO_FORMAT, settings)
        return
    try:
        found = record_payload(json.loads(record_path.read_text(encoding="utf-8")), DEMO_FORMAT, record_path)
    except (json.JSONDecodeError, UnicodeDecodeError):
        found = None
    if found != settings:
        raise SpokenW2VError(f"{out}: holds a demo run with other settings ({record_path}); "
                             f"use another directory or remove it")


def write_demo_text(text: Path, words: int, log: Callable[[str], None]) -> None:
    """The first ``words`` words of the demo text into ``text`` (kept when it exists), logged
    as the command that writes it."""
    from ..corpus import demo_corpus

    if not text.is_file():
        atomic_write_text(text, "\n".join(demo_corpus(words)) + "\n")
    log(f"[0] demo text: {text} (python3 -c 'from spokenw2v.corpus import demo_corpus; "
        f"print(chr(10).join(demo_corpus({words})))' > {text})")


def summary(paths: dict[str, Path], cfg: DemoConfig, stats: dict, stats_voices: Optional[dict]) -> str:
    """The text printed at the end of a run (see :mod:`.table`), from the run's files."""
    _, results = read_tsv(paths["results"], ["model", "A", "B"])
    _, sweep = read_tsv(paths["sweep"], ["model", "A"])
    lines = results_table(stats, [row for _, row in results], [row for _, row in sweep], paths["runs"])
    lines += [models_legend(cfg), statistics_paragraph("Pipeline statistics, one voice", stats, paths["stats"], cfg)]
    if stats_voices is not None:
        lines.append(statistics_paragraph("24 voice settings", stats_voices, paths["stats_voices"], cfg))
        report = read_record(paths["word_units_voices_report"], WORD_UNITS_REPORT_FORMAT)
        lines.append(consensus_paragraph(report, paths["word_units_voices"]))
    if cfg.festival_epochs > 0:
        lines.append(festival_lines(paths))
    if cfg.textless_epochs > 0:
        found = read_record(paths["found_report"], NOISE_REPORT_FORMAT)["runs"][0]
        lines.append(textless_paragraph(found, paths["found"], cfg.textless_epochs))
    lines.append(figures_paragraph(paths))
    return "\n".join(lines)


def festival_lines(paths: dict[str, Path]) -> str:
    """The Festival rung's paragraph from its word-units reports and warp factors."""
    from ..vtln import read_warps

    plain = read_record(paths["word_units_plain_festival_report"], WORD_UNITS_REPORT_FORMAT)
    consensus = read_record(paths["word_units_festival_report"], WORD_UNITS_REPORT_FORMAT)
    warps = ", ".join(f"{speaker} {factor:.2f}" for speaker, factor in read_warps(paths["warps_festival"]).items())
    return festival_paragraph(plain, consensus, warps, paths["word_units_festival"])


def run_demo(out: Path, cfg: DemoConfig, quiet: bool, log: Callable[[str], None]) -> DemoResult:
    """Run the demo into ``out``: every stage as its own ``spokenw2v`` process (``quiet``
    passes ``--quiet`` on), each logged through ``log`` as the command that re-runs it alone;
    finished stages of an earlier run with the same settings are kept.  Raises
    :class:`SpokenW2VError` for a bad ``--device``, a directory that is not a demo run's, or
    one made with other settings (before anything is written), and for a failed stage."""
    from ..devices import resolve_device

    resolve_device(cfg.device)  # checked before any stage runs, like every other option
    check_output_dir(out, marked_by(DEMO_RECORD, "a demo run directory"), "expected a demo run directory")
    out.mkdir(parents=True, exist_ok=True)
    check_record(out, cfg.settings())
    started = time.perf_counter()
    log(f"demo: the whole pipeline in {out} (the first {cfg.words} words of the King James Version; "
        f"every stage below is one spokenw2v command you can re-run alone)")
    paths = layout(out)
    write_demo_text(paths["text"], cfg.words, log)
    stages = plan(out, cfg)
    parallel, threads = side_by_side(cfg.jobs)
    log(f"demo: {len(stages)} stages, up to {parallel} side by side ({threads} thread{'s' if threads > 1 else ''} "
        f"each); each stage's log is in {paths['logs']}/STAGE.log")
    timings = run_stages(stages, paths["logs"], parallel, threads, quiet, log)
    stats = write_pipeline_statistics(paths["units"], paths["segments"], paths["stats"])
    stats_voices = write_pipeline_statistics(paths["units_voices"], paths["segments_voices"],
                                             paths["stats_voices"]) if cfg.voices_epochs > 0 else None
    text = summary(paths, cfg, stats, stats_voices)
    return DemoResult(text, timings, time.perf_counter() - started)
