"""pqpp: the PQPP benchmark for text-to-image prompt and query performance prediction."""

__version__ = "0.1.0"
