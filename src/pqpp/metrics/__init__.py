"""The PQPP evaluate modules, shipped with the package.

Each sub-folder is an ``evaluate`` module (script, metric card, requirements): ``pqpp_correlation`` and
``pqpp_retrieval``. From the repository root ``evaluate.load("pqpp_correlation")`` finds them directly;
from anywhere else, with ``pqpp`` installed:

Example:
    >>> from pqpp import metrics
    >>> metrics.path("pqpp_correlation").endswith("pqpp_correlation")
    True
    >>> correlation = metrics.load("pqpp_correlation")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["METRICS", "load", "path"]

_ROOT = Path(__file__).parent
METRICS = ("pqpp_correlation", "pqpp_retrieval")


def path(name: str) -> str:
    """The folder of the evaluate module ``name`` (pass it to ``evaluate.load``)."""
    if name not in METRICS:
        raise ValueError(f"unknown pqpp metric {name!r}; valid: {METRICS}")
    return str(_ROOT / name)


def load(name: str, config_name: str | None = None, **kwargs: Any) -> Any:
    """``evaluate.load`` of a pqpp metric from the installed package."""
    try:
        import evaluate
    except ImportError as error:
        raise ImportError('the pqpp metrics need `evaluate`: pip install "pqpp[evaluate]"') from error
    return evaluate.load(path(name), config_name, **kwargs)
