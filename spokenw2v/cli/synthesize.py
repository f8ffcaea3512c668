"""``spokenw2v synthesize``: speak a text corpus with espeak-ng, Festival or Flite, with word timings."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ..errors import SpokenW2VError
from ..io import tokenize
from ..rundir import check_output_dir, marked_by
from .options import NON_NEGATIVE, SEED, ranged
from .common import Log, QuietOption, app, check_paths, guarded, refuse_stdio

#: The voices of each engine when --voices is not given.
DEFAULT_VOICES = {"espeak": "en-us,en-gb", "festival": "kal_diphone,ked_diphone,cmu_us_slt_arctic_hts",
                  "flite": "awb,rms,slt"}


def parse_list(text: str, what: str) -> tuple[str, ...]:
    """``"a,b, c"`` -> ``("a", "b", "c")``; an empty item (``"a,,b"``, ``"a,"``) is a one-line error
    (only ``--variants`` may be empty as a whole: no variant)."""
    if not text.strip() and what == "variants":
        return ()
    items = tuple(x.strip() for x in text.split(","))
    if not any(items):
        raise SpokenW2VError(f"--{what}: give at least one value (comma-separated)")
    if not all(items):
        raise SpokenW2VError(f"--{what} {text!r}: an empty item in the comma-separated list")
    return items


def parse_rates(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in parse_list(text, "rates"))
    except ValueError:
        raise SpokenW2VError(f"--rates: expected comma-separated words-per-minute integers, found {text!r}") from None


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


@app.command("synthesize")
@guarded
def synthesize_command(
    corpus: Path = typer.Argument(..., help="Text corpus, one utterance per line (UTF-8); - for standard input."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory (created; an existing one is resumed)."),
    voices: str = typer.Option(None, "--voices", show_default=False,
                               help="Comma-separated voices: espeak-ng voices or languages (see: espeak-ng "
                                    "--voices=en; default en-us,en-gb) or, with --engine festival, festival voices "
                                    "(default kal_diphone,ked_diphone,cmu_us_slt_arctic_hts) or, with --engine flite, "
                                    "flite voices (see: flite -lv; default awb,rms,slt)."),
    variants: str = typer.Option(None, "--variants", show_default=False,
                                 help="Comma-separated espeak-ng voice variants (m1-m8, f1-f5, ...; default "
                                      "m1,m3,f1,f3); '' = none (the only choice with --engine festival or flite)."),
    rates: str = typer.Option("140,170,200", "--rates",
                              help="Comma-separated speaking rates, words per minute (festival: Duration_Stretch "
                                   "170/rate; flite: duration_stretch 170/rate)."),
    seed: int = ranged(SEED, 0, "--seed", help="Seed of the per-utterance choices and per-word jitter."),
    jobs: int = ranged(NON_NEGATIVE, 0, "--jobs", "-j", help="Worker processes (0 = one per CPU core)."),
    style: str = typer.Option("words", "--style",
                              help="words: each word spoken alone, joined with pauses (every boundary a silence); "
                                   "continuous: each utterance in one call, word times from the engine's events."),
    engine: str = typer.Option("espeak", "--engine",
                               help="espeak (espeak-ng), festival (Festival) or flite (Flite); the last two "
                                    "--style continuous only."),
    max_utterances: int = ranged(NON_NEGATIVE, 0, "--max-utterances",
                                               help="Speak only the first N utterances (0 = all)."),
    quiet: bool = QuietOption,
) -> None:
    """Speak a text corpus with espeak-ng, Festival or Flite: 16 kHz WAVs, word segments and the transcript.

    Every line is one utterance.  --style words (espeak-ng): every token (as the text
    stages tokenize it) is synthesized on its own, then the words are joined with short
    pauses, so each word has exactly one segment with real silence at its boundaries;
    pitch and rate jitter per word.  --style continuous: the whole utterance in one call
    (words run together as in real speech), word times from the engine's own word and
    phoneme events (espeak-ng), utterance structure (festival) or phone times aligned to
    each word's phones (flite); words the engine runs together are split and counted
    (OUT/utterances.tsv: merged, widened).  Voice, variant and rate are chosen per
    utterance, all seeded.
    Writes OUT/audio/UTT.wav, OUT/words/UTT.tsv, OUT/audio.tsv, OUT/segments.tsv,
    OUT/corpus.txt, OUT/utterances.tsv, OUT/phonemes.tsv (espeak-ng only: its phonemes of every
    token, for train --word-units) and OUT/synthesis.json.  Re-running the same
    command resumes: complete utterances are kept.
    """
    from ..synthesize import SynthesisConfig, check_engine, read_text_lines, synthesize_corpus

    log = Log(quiet)
    refuse_stdio(out, "--out", "the output is a directory")
    check_paths([corpus], [out])
    check_output_dir(out, marked_by("synthesis.json", "a synthesize output directory"),
                     "expected a synthesize output directory")
    if voices is None:
        voices = DEFAULT_VOICES.get(engine, DEFAULT_VOICES["espeak"])
    if variants is None:
        variants = "m1,m3,f1,f3" if engine == "espeak" else ""
    config = SynthesisConfig(voices=parse_list(voices, "voices"), variants=parse_list(variants, "variants"),
                             rates=parse_rates(rates), seed=seed, style=style, engine=engine)
    voices_found = check_engine(config)  # before anything is read or logged
    all_utterances = read_text_lines(corpus)
    utterances = all_utterances
    n_total = len(utterances)
    if max_utterances:
        utterances = utterances[:max_utterances]
    jobs = jobs if jobs > 0 else default_jobs()
    n_words = sum(len(tokenize(u.text)) for u in utterances)
    log(f"synthesize: {len(utterances)} of {n_total} utterances ({n_words} words) from {corpus} -> {out} "
        f"({jobs} worker{'s' if jobs > 1 else ''})")
    with log.progress() as bar:
        task = bar.add_task("synthesize", total=len(utterances))
        result = synthesize_corpus(all_utterances, out, config, jobs=jobs, progress=lambda n: bar.advance(task, n),
                                   source=str(corpus), limit=max_utterances, voices=voices_found)
    speed = result.words / result.elapsed if result.elapsed > 0 else float("inf")
    log(f"synthesize: {result.utterances} utterances, {result.words} words, "
        f"{result.audio_seconds / 3600:.2f} h of audio ({result.synthesized} made, {result.skipped} kept) "
        f"in {result.elapsed:.1f} s ({speed:.0f} words/s); segments: {out / 'segments.tsv'}")
    if style == "continuous":
        log(f"synthesize: {result.merged} words without an engine event of their own split from a neighbour, "
            f"{result.widened} widened to the shortest word length (of {result.words})")
