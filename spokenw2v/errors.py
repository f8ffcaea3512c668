"""The one exception type the command line turns into a clean ``Error:`` line."""

from __future__ import annotations


class SpokenW2VError(Exception):
    """Bad input or an impossible request.

    The message is one line that names the file (and line or utterance where known)
    and what was expected.  The CLI prints it as ``Error: <message>`` and exits 1.
    """

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


def where(path, line: int | None = None, utt: str | None = None) -> str:
    """Format a location prefix such as ``segs.tsv:12`` or ``feats.npz (utt 84-121123-0001)``."""
    text = str(path)
    if line is not None:
        text += f":{line}"
    if utt is not None:
        text += f" (utterance {utt})"
    return text
