"""Everything the benchmark reports about one predictor, in one call.

Example:
    >>> report = correlation_report([0.1, 0.4, 0.35, 0.8, 0.7], [0.0, 0.3, 0.5, 1.0, 0.6])
    >>> sorted(report)
    ['kendall_tau', 'kendall_tau_pvalue', 'n', 'pearson', 'pearson_pvalue', 'smare', 'spearman', 'spearman_pvalue']
    >>> round(report["kendall_tau"], 4), round(report["smare"], 4)  # one discordant pair of ten
    (0.8, 0.08)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pqpp.stats.bootstrap import bootstrap_ci, check_ci_options
from pqpp.stats.correlation import STATISTICS, Alternative, check_options, correlation
from pqpp.stats.inputs import as_pair
from pqpp.stats.smare import smare

__all__ = ["correlation_report"]


def _one(
    x: np.ndarray,
    y: np.ndarray,
    statistics: Sequence[str],
    alternative: Alternative,
    ci: bool,
    ci_options: dict[str, Any],
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name in statistics:
        result[name], result[f"{name}_pvalue"] = correlation(x, y, name, alternative=alternative)
    result["smare"] = smare(x, y).value
    result["n"] = int(x.size)
    if ci:
        if all(np.isnan(result[name]) for name in statistics):
            intervals = {name: [float("nan"), float("nan")] for name in statistics}
        else:
            found = bootstrap_ci(x, y, statistics, **ci_options)
            intervals = {name: found[name].as_list() for name in statistics}
        result |= {f"{name}_ci": intervals[name] for name in statistics}
    return result


def correlation_report(
    predictions: Any,
    references: Any,
    *,
    groups: Any = None,
    statistics: Sequence[str] = STATISTICS,
    alternative: Alternative = "two-sided",
    ci: bool = False,
    ci_method: str = "bca",
    confidence_level: float = 0.95,
    n_resamples: int = 9999,
    seed: int | None = None,
) -> dict[str, Any]:
    """Pearson, Kendall tau-b and Spearman with p-values, sMARE, and optionally bootstrap intervals.

    Args:
        predictions: predicted scores, one per prompt.
        references: ground-truth scores, aligned.
        groups: optional label per prompt (e.g. the dataset's ``source``); adds ``by_group`` with the same
            report for each label.
        statistics: which correlations to compute.
        alternative: p-value alternative (scipy's meaning).
        ci: add ``<statistic>_ci`` = ``[low, high]`` bootstrap intervals (resampling prompts).
        ci_method: ``"bca"`` or ``"percentile"``.
        confidence_level, n_resamples, seed: bootstrap settings (the same seed gives the same intervals).

    Returns:
        A flat dict: ``pearson``, ``pearson_pvalue``, ``kendall_tau``, ``kendall_tau_pvalue``, ``spearman``,
        ``spearman_pvalue``, ``smare``, ``n``, the ``…_ci`` keys when asked, and ``by_group`` with groups.
    """
    for name in statistics:
        check_options(name, alternative)
    ci_options = {
        "method": ci_method,
        "confidence_level": confidence_level,
        "n_resamples": n_resamples,
        "seed": seed,
    }
    if ci:
        check_ci_options(ci_method, confidence_level, n_resamples)
    x, y = as_pair(predictions, references)
    labels = None
    if groups is not None:
        labels = np.asarray(list(groups.tolist() if hasattr(groups, "tolist") else groups), dtype=object)
        if labels.shape != x.shape:
            raise ValueError(f"groups has {labels.size} labels but predictions has {x.size} values")
    result = _one(x, y, statistics, alternative, ci, ci_options)
    if labels is not None:
        result["by_group"] = {
            str(label): _one(x[labels == label], y[labels == label], statistics, alternative, ci, ci_options)
            for label in dict.fromkeys(labels.tolist())
        }
    return result
