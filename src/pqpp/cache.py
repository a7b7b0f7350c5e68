"""Where pqpp keeps what it derives once and reuses (WordNet laid out for NLTK, image embeddings)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["CACHE_ENV", "cache_dir"]

CACHE_ENV = "PQPP_CACHE"


def cache_dir(name: str) -> Path:
    """``$PQPP_CACHE/<name>``, by default ``$XDG_CACHE_HOME/pqpp/<name>`` (``~/.cache/pqpp/<name>``)."""
    base = (
        os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "pqpp"
    )
    return Path(base) / name
