"""Synthesis speed of ``synthesize``'s engines and styles, per voice, as multiples of real time.

Speaks the first verses of the demo text in one process (one worker, no files written) with
each engine/style/voice and prints a Markdown table: seconds of 16 kHz audio made per second
of wall-clock time (x real time), words per second, and the words the continuous styles had
to fix (``merged``: run into a neighbour and split by phoneme count; ``widened``: lengthened
to 30 ms).  Festival and flite run in processes of their own, so wall-clock time is the measure throughout;
on a shared machine compare rows of one run only.

    OMP_WAIT_POLICY=PASSIVE python bench/synthesis_speed.py [--verses 40]
"""

from __future__ import annotations

import argparse
import shutil
import time

import numpy as np

from spokenw2v.corpus import demo_corpus
from spokenw2v.espeak import espeak
from spokenw2v.festival import Festival
from spokenw2v.flite import Flite
from spokenw2v.speechplan import SynthesisConfig, UtteranceSettings, utterance_punctuation
from spokenw2v.synthesize import speak_continuous_espeak, speak_utterance, speak_whole

#: (engine, style, voice) rows: the demo's one voice both ways, then festival's and flite's three voices.
ROWS = (("espeak", "words", "en-us"), ("espeak", "continuous", "en-us"), ("espeak", "continuous", "en-gb"),
        ("festival", "continuous", "kal_diphone"), ("festival", "continuous", "ked_diphone"),
        ("festival", "continuous", "cmu_us_slt_arctic_hts"), ("flite", "continuous", "awb"),
        ("flite", "continuous", "rms"), ("flite", "continuous", "slt"))
#: The engines that speak whole utterances, each with the program that runs it.
WHOLE = {"festival": Festival, "flite": Flite}


def speed(engine_name: str, style: str, voice: str, lines: list[str], engine) -> tuple[float, float, int, int, int]:
    """(audio seconds, wall seconds, words, merged, widened) for speaking ``lines``."""
    config = SynthesisConfig(voices=(voice,), variants=(), rates=(170,), style=style, engine=engine_name)
    settings = UtteranceSettings(voice, "", 170, 50, 1.0)
    audio = words = merged = widened = 0
    t0 = time.perf_counter()
    for index, line in enumerate(lines):
        toks, puncts = utterance_punctuation(line)
        if engine_name in WHOLE:
            spoken, fixes = speak_whole(engine, toks, puncts, settings, voice, config, line[:20])
        elif style == "continuous":
            spoken, fixes = speak_continuous_espeak(engine, toks, puncts, settings, voice, config, line[:20])
        else:
            rng = np.random.default_rng([0, index])
            spoken = speak_utterance(engine, toks, [bool(p) for p in puncts], settings, voice, rng, config)
            fixes = (0, 0)
        audio += spoken.duration
        words += len(toks)
        merged += fixes[0]
        widened += fixes[1]
    return audio, time.perf_counter() - t0, words, merged, widened


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verses", type=int, default=40)
    args = parser.parse_args()
    lines = demo_corpus(10**6)[: args.verses]
    print(f"{len(lines)} verses of the demo text, rate 170, one process\n")
    print("| engine | style | voice | x real time | words/s | merged | widened |")
    print("|---|---|---|---|---|---|---|")
    whole = {name: make() for name, make in WHOLE.items() if shutil.which(name)}
    try:
        for engine_name, style, voice in ROWS:
            if engine_name != "espeak" and engine_name not in whole:
                continue
            engine = whole.get(engine_name) or espeak()
            name = engine.resolve_voice(voice) if engine_name == "espeak" else voice
            audio, wall, words, merged, widened = speed(engine_name, style, name, lines, engine)
            print(f"| {engine_name} | {style} | {voice} | {audio / wall:.1f} | {words / wall:.0f} "
                  f"| {merged} ({100 * merged / words:.1f} %) | {widened} |")
    finally:
        for engine in whole.values():
            engine.close()

if __name__ == "__main__":
    main()
