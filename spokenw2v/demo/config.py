"""The sizes of a demo run (:class:`DemoConfig`, the settings its ``demo.json`` records) and
where its files live (:func:`layout`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: Substitution rates of the short clustering-noise sweep (paper, section 5).
SWEEP_RATES = (0.0, 0.1, 0.2, 0.4)
#: Auto-encoder epochs of the two-stage models when ``ae_epochs`` is 0.
CHAR_AE_EPOCHS = 30
UNIT_AE_EPOCHS = 5


@dataclass
class DemoConfig:
    """Sizes of the demo run; the defaults fit 15 minutes on 2 CPU cores."""

    words: int = 30000  # words of the demo text (King James Version from Genesis 1:1)
    seed: int = 0
    jobs: int = 2  # synthesis worker processes, and stages run side by side
    device: str = "auto"
    k: int = 100  # k-means units over MFCC frames
    hop_ms: int = 20  # MFCC frame hop: 50 frames/s, the rate of HuBERT's units (shorter unit sequences than 10 ms)
    char_epochs: int = 60  # character models (e2e and two-stage; 2048 centre words per step under ``fast``)
    unit_epochs: int = 45  # unit models (e2e and two-stage) on the one-voice speech
    ae_epochs: int = 0  # auto-encoder epochs of the two-stage models (0 = CHAR_AE_EPOCHS, UNIT_AE_EPOCHS)
    voices_epochs: int = 0  # e2e on the consensus units of the many-voice speech (0 = leave that rung out)
    consensus_radius: float = 0.3  # word-units --consensus --radius of the many-voice and Festival rungs
    textless_epochs: int = 0  # e2e on words discovered in continuous speech, no label read (0 = leave that rung out)
    festival_epochs: int = 0  # e2e on the speaker-invariant units of Festival's three voices (0 = leave that rung out)
    unit_eval_every: int = 3  # e2e on units: metrics every 3rd epoch (and the last); they cost a sixth of an epoch
    sweep_rates: tuple[float, ...] = SWEEP_RATES

    @property
    def char_ae_epochs(self) -> int:
        """Auto-encoder epochs of the character two-stage model."""
        return self.ae_epochs or CHAR_AE_EPOCHS

    @property
    def unit_ae_epochs(self) -> int:
        """Auto-encoder epochs of the unit two-stage model."""
        return self.ae_epochs or UNIT_AE_EPOCHS

    def settings(self) -> dict:
        """What ``demo.json`` records: the options that change a result (not ``jobs``); the
        textless and Festival rungs only when asked, so that earlier demo directories still resume."""
        settings = {"words": self.words, "seed": self.seed, "device": self.device, "k": self.k,
                    "hop_ms": self.hop_ms, "char_epochs": self.char_epochs, "unit_epochs": self.unit_epochs,
                    "voices_epochs": self.voices_epochs, "ae_epochs": self.ae_epochs}
        if self.textless_epochs > 0:
            settings["textless_epochs"] = self.textless_epochs
        if self.festival_epochs > 0:
            settings["festival_epochs"] = self.festival_epochs
        return settings


def layout(out: Path) -> dict[str, Path]:
    """Where every file of a demo run lives, below ``out``."""
    speech = out / "speech"
    voices = out / "speech-voices"
    continuous = out / "speech-continuous"
    festival = out / "speech-festival"
    return {
        "speech_festival": festival,
        "audio_festival": festival / "audio.tsv",
        "segments_festival": festival / "segments.tsv",
        "mfcc_festival": out / "mfcc-festival",
        "warps_festival": out / "warps-festival.tsv",
        "cae1_festival": out / "cae1-festival.npz",
        "cae1_model_festival": out / "cae1-festival.pt",
        "cae_model_festival": out / "cae-festival.pt",
        "feats_festival": out / "cae-festival.npz",
        "codebook_festival": out / "codebook-festival.npz",
        "units_festival": out / "units-festival.npz",
        "word_units_plain_festival": out / "word-units-festival-plain.tsv",
        "word_units_plain_festival_report": out / "word-units-festival-plain.json",
        "word_units_festival": out / "word-units-festival.tsv",
        "word_units_festival_report": out / "word-units-festival.json",
        "speech_continuous": continuous,
        "audio_continuous": continuous / "audio.tsv",
        "segments_continuous": continuous / "segments.tsv",
        "feats_continuous": out / "mfcc-continuous",
        "codebook_continuous": out / "codebook-continuous.npz",
        "units_continuous": out / "units-continuous.npz",
        "found": out / "found.tsv",
        "found_labelled": out / "found-labelled.tsv",
        "found_report": out / "found.json",
        "speech_voices": voices,
        "audio_voices": voices / "audio.tsv",
        "segments_voices": voices / "segments.tsv",
        "feats_voices": out / "mfcc-voices",
        "codebook_voices": out / "codebook-voices.npz",
        "units_voices": out / "units-voices.npz",
        "warps_voices": out / "warps-voices.tsv",
        "word_units_voices": out / "word-units-voices.tsv",
        "word_units_voices_report": out / "word-units-voices.json",
        "stats_voices": out / "pipeline-voices.tsv",
        "text": out / "text.txt",
        "speech": speech,
        "audio": speech / "audio.tsv",
        "segments": speech / "segments.tsv",
        "corpus": speech / "corpus.txt",
        "feats": out / "mfcc",
        "codebook": out / "codebook.npz",
        "units": out / "units.npz",
        "word_units": out / "word-units.tsv",
        "runs": out / "runs",
        "noise": out / "noise",
        "results": out / "results.tsv",
        "results_json": out / "results.json",
        "test_set": out / "test-set.tsv",
        "sweep": out / "sweep.tsv",
        "curves": out / "curves.png",
        "sweep_png": out / "sweep.png",
        "stats": out / "pipeline.tsv",
        "logs": out / "logs",
    }
