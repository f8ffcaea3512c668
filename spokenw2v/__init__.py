"""spokenw2v: learn semantic word embeddings directly from speech."""

__version__ = "0.1.0"
