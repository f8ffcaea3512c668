"""Word timings from espeak-ng: SSML marks versus word-by-word concatenation.

Speaks the first verses of the demo text three ways and prints a Markdown table:

* ``marks``: one espeak-ng call per utterance, ``<mark name="wI"/>`` before every word;
  word I spans [mark I, mark I+1).
* ``marks+break``: the same with a 30 ms ``<break/>`` between words.
* ``word-by-word``: what ``spokenw2v synthesize`` does (one call per word, trimmed clips
  joined with pauses), with the default jitter.
* ``process-per-word``: one ``espeak-ng --stdout WORD`` process per word (speed only).

    OMP_WAIT_POLICY=PASSIVE python bench/synthesize_timing.py [--verses 400]

Single process, one core; no files are written.  The word-by-word speed includes the
resampling to 16 kHz, the mark speeds do not.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from collections import defaultdict

import numpy as np

from spokenw2v.corpus import demo_corpus
from spokenw2v.espeak import espeak
from spokenw2v.synthesize import SynthesisConfig, UtteranceSettings, speak_utterance, utterance_words


def marks_timings(engine, utterances, gap: str | None):
    sep = f'<break time="{gap}"/>' if gap else " "
    durations, by_word = [], defaultdict(list)
    missing = 0
    t0 = time.perf_counter()
    for words in utterances:
        ssml = "<speak>" + sep.join(f'<mark name="w{i}"/>{w}' for i, w in enumerate(words)) + ' <mark name="end"/></speak>'
        _, marks = engine.speak_ssml(ssml, 170, 50)
        pos = dict(marks)
        if len(pos) != len(words) + 1:
            missing += len(words) + 1 - len(pos)
            continue
        cuts = [pos[f"w{i}"] for i in range(len(words))] + [pos["end"]]
        for i, w in enumerate(words):
            d = (cuts[i + 1] - cuts[i]) / engine.sample_rate
            durations.append(d)
            by_word[w].append(d)
    return np.asarray(durations), by_word, time.perf_counter() - t0, missing


def concat_timings(engine, lines, config):
    durations, by_word = [], defaultdict(list)
    t0 = time.perf_counter()
    for index, line in enumerate(lines):
        words, pauses = utterance_words(line)
        rng = np.random.default_rng([config.seed, index])
        settings = UtteranceSettings("en-us", "", 170, 50, 1.0)
        spoken = speak_utterance(engine, words, pauses, settings, "en-us", rng, config)
        for w, s, e in zip(words, spoken.start, spoken.end):
            durations.append(e - s)
            by_word[w].append(e - s)
    return np.asarray(durations), by_word, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verses", type=int, default=400)
    args = parser.parse_args()
    lines = demo_corpus(10**6)[: args.verses]
    utterances = [utterance_words(x)[0] for x in lines]
    n_words = sum(map(len, utterances))
    engine = espeak()
    engine.set_voice("en-us")
    print(f"{len(lines)} verses, {n_words} words, espeak-ng {engine.version}, voice en-us, 170 wpm\n")
    print("| method | words/s | segments < 20 ms | < 30 ms | shortest | median | distinct durations of 'the' |")
    print("|---|---|---|---|---|---|---|")

    def row(name, d, by_word, dt, note=""):
        the = by_word.get("the", [])
        print(f"| {name} | {n_words / dt:.0f} | {100 * np.mean(d < 0.02):.1f}% | {100 * np.mean(d < 0.03):.1f}% | "
              f"{1000 * d.min():.0f} ms | {1000 * np.median(d):.0f} ms | "
              f"{len(set(np.round(the, 4)))} of {len(the)}{note} |")

    for gap in (None, "30ms"):
        d, by_word, dt, missing = marks_timings(engine, utterances, gap)
        row("marks" + ("+break" if gap else ""), d, by_word, dt, f"; {missing} marks missing" if missing else "")
    d, by_word, dt = concat_timings(engine, lines, SynthesisConfig(voices=("en-us",), variants=()))
    row("word-by-word (chosen)", d, by_word, dt)
    exe = shutil.which("espeak-ng")
    if exe:
        words = [w for u in utterances for w in u][:300]
        t0 = time.perf_counter()
        for w in words:
            subprocess.run([exe, "-v", "en-us", "--stdout", w], capture_output=True, check=True)
        print(f"| process-per-word | {len(words) / (time.perf_counter() - t0):.0f} | | | | | |")


if __name__ == "__main__":
    main()
