"""The embedded demo: the whole pipeline on a synthesized King James corpus.

:mod:`.config` holds the sizes of a run (:class:`DemoConfig`) and where its files live
(:func:`layout`); :mod:`.plan` the stages as ``spokenw2v`` command lines; :mod:`.scheduler`
runs them as processes in dependency order; :mod:`.speech_statistics` gives the figures a
researcher checks between discretization and training; :mod:`.table` renders the text
``spokenw2v demo`` prints; :func:`run_demo` (:mod:`.run`) is one run from start to end.
"""

from .config import SWEEP_RATES, DemoConfig, layout
from .plan import MODELS, Stage, plan
from .run import DEMO_RECORD, DemoResult, run_demo
from .scheduler import run_stages
from .speech_statistics import pipeline_statistics, unit_change_segments, write_pipeline_statistics

__all__ = ["DEMO_RECORD", "MODELS", "SWEEP_RATES", "DemoConfig", "DemoResult", "Stage", "layout",
           "pipeline_statistics", "plan", "run_demo", "run_stages", "unit_change_segments",
           "write_pipeline_statistics"]
