"""Pearson r, Kendall tau-b and Spearman rho with p-values, exactly as ``scipy.stats`` computes them.

Point estimates and p-values come from ``scipy.stats`` itself, after validation, so they are scipy's to
the last bit; what this module adds is one entry point for the three, input checking, and NaN with a
:class:`~pqpp.stats.inputs.DegenerateInputWarning` (not an exception or a scipy warning) where a
correlation is undefined.

Example:
    >>> r, p = correlation([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], "pearson")
    >>> round(r, 4), round(p, 4)
    (0.8, 0.1041)
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
from scipy import stats

from pqpp.stats.inputs import as_pair, is_degenerate

__all__ = ["ALTERNATIVES", "STATISTICS", "Alternative", "correlation"]

Alternative = Literal["two-sided", "less", "greater"]
ALTERNATIVES = ("two-sided", "less", "greater")
STATISTICS = ("pearson", "kendall_tau", "spearman")


def _scipy(name: str, x: np.ndarray, y: np.ndarray, alternative: str) -> tuple[float, float]:
    if name == "pearson":
        result = stats.pearsonr(x, y, alternative=alternative)
    elif name == "kendall_tau":
        result = stats.kendalltau(x, y, variant="b", alternative=alternative)
    else:
        result = stats.spearmanr(x, y, alternative=alternative)
    return float(result.statistic), float(result.pvalue)


def check_options(statistic: str, alternative: str) -> None:
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}; valid: {STATISTICS}")
    if alternative not in ALTERNATIVES:
        raise ValueError(f"unknown alternative {alternative!r}; valid: {ALTERNATIVES}")


def correlation(
    predictions: Any, references: Any, statistic: str = "pearson", *, alternative: Alternative = "two-sided"
) -> tuple[float, float]:
    """One correlation and its p-value.

    Args:
        predictions: predicted scores, one per prompt (list, numpy, pandas or torch).
        references: ground-truth scores, aligned with ``predictions``.
        statistic: ``"pearson"``, ``"kendall_tau"`` (tau-b) or ``"spearman"``.
        alternative: ``"two-sided"``, ``"less"`` or ``"greater"`` (scipy's meaning).

    Returns:
        ``(statistic, pvalue)``; ``(nan, nan)`` with a warning for fewer than 3 items or constant input.
    """
    check_options(statistic, alternative)
    x, y = as_pair(predictions, references)
    if is_degenerate(x, y, what=statistic):
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.ConstantInputWarning)
        return _scipy(statistic, x, y, alternative)
