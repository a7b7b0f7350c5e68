"""Is predictor A better than predictor B? Paired tests against the same ground truth.

* :func:`paired_bootstrap`: bootstrap the prompts once per resample for both predictors, and read the
  difference of their correlations off the same resamples: a confidence interval of the difference and a
  two-sided p-value (the share of centred resampled differences at least as extreme as the observed one).
  Works for Pearson, Kendall and Spearman.
* :func:`williams_test`: Williams' t test for two dependent Pearson correlations sharing one variable
  (Steiger, 1980, eq. 7), the classical analytic test.
* :func:`significance_groups`: rank many predictors into groups: the best and every predictor not
  significantly worse than it form group 1; the rest are grouped the same way, recursively.

Example:
    >>> t, p = williams_test(0.4, 0.5, 0.1, 103)  # psych::r.test(103, .4, .5, .1) reports t = -0.89, p = 0.37
    >>> round(t, 2), round(p, 2)
    (-0.89, 0.37)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from pqpp.stats.bootstrap import (
    ConfidenceInterval,
    bootstrap_distribution,
    check_ci_options,
    default_batch,
    interval,
)
from pqpp.stats.correlation import STATISTICS, correlation
from pqpp.stats.inputs import as_pair, as_vector
from pqpp.stats.resampled import ResampledCorrelations

__all__ = ["PairedComparison", "paired_bootstrap", "significance_groups", "williams_test"]


@dataclass(frozen=True)
class PairedComparison:
    """``statistic(a) - statistic(b)`` with its bootstrap interval and p-value."""

    statistic: str
    difference: float
    ci: ConfidenceInterval
    pvalue: float


def paired_bootstrap(
    predictions_a: Any,
    predictions_b: Any,
    references: Any,
    statistic: str = "pearson",
    *,
    confidence_level: float = 0.95,
    method: str = "percentile",
    n_resamples: int = 9999,
    seed: int | np.random.Generator | None = None,
) -> PairedComparison:
    """Paired bootstrap of the difference in correlation of two predictors with the same references.

    The p-value is two-sided: ``(1 + #{|Δ*_b - Δ| >= |Δ|}) / (B + 1)``, where ``Δ*_b`` are the resampled
    differences and ``Δ`` the observed one (the bootstrap distribution shifted to the null of no difference).
    """
    if statistic not in STATISTICS:
        raise ValueError(f"unknown statistic {statistic!r}; valid: {STATISTICS}")
    check_ci_options(method, confidence_level, n_resamples)
    a, y = as_pair(predictions_a, references)
    b = as_vector(predictions_b, "predictions_b")
    if b.shape != y.shape:
        raise ValueError(
            f"predictions_b has {b.size} values but references has {y.size}; they must be paired"
        )
    ra, rb = ResampledCorrelations(a, y, [statistic]), ResampledCorrelations(b, y, [statistic])

    def difference(weights: np.ndarray) -> dict[str, np.ndarray]:
        return {statistic: ra(weights)[statistic] - rb(weights)[statistic]}

    observed = float(difference(np.ones((1, y.size)))[statistic][0])
    theta_b = bootstrap_distribution(difference, y.size, n_resamples, seed, default_batch(y.size))[statistic]
    finite = theta_b[np.isfinite(theta_b)]
    pvalue = (1 + np.count_nonzero(np.abs(finite - observed) >= abs(observed))) / (finite.size + 1)

    def leave_one_out() -> np.ndarray:
        jack_a, jack_b = ra.jackknife()[statistic], rb.jackknife()[statistic]
        return jack_a - jack_b

    ci = interval(observed, theta_b, confidence_level, method, leave_one_out)
    return PairedComparison(statistic, observed, ci, float(pvalue))


def williams_test(r12: float, r13: float, r23: float, n: int) -> tuple[float, float]:
    """Williams' t for ``H0: rho12 = rho13`` where variable 1 is shared (Steiger 1980, eq. 7).

    Args:
        r12: correlation of the shared variable (ground truth) with predictor A.
        r13: correlation of the shared variable with predictor B.
        r23: correlation between the two predictors.
        n: number of items (> 3).

    Returns:
        ``(t, two-sided p-value)`` with ``n - 3`` degrees of freedom.
    """
    if n <= 3:
        raise ValueError(f"Williams' test needs more than 3 items, got {n}")
    for name, r in (("r12", r12), ("r13", r13), ("r23", r23)):
        if not -1 <= r <= 1:
            raise ValueError(f"{name} must be a correlation in [-1, 1], got {r}")
    det = 1 - r12**2 - r13**2 - r23**2 + 2 * r12 * r13 * r23
    mean = (r12 + r13) / 2
    t = (r12 - r13) * np.sqrt((n - 1) * (1 + r23) / (2 * (n - 1) / (n - 3) * det + mean**2 * (1 - r23) ** 3))
    return float(t), float(2 * stats.t.sf(abs(t), n - 3))


def williams_test_data(predictions_a: Any, predictions_b: Any, references: Any) -> tuple[float, float]:
    """:func:`williams_test` from data: is ``pearson(a, references)`` different from ``pearson(b, references)``?"""
    a, y = as_pair(predictions_a, references)
    b, _ = as_pair(predictions_b, references)
    r12, r13 = correlation(a, y)[0], correlation(b, y)[0]
    return williams_test(r12, r13, correlation(a, b)[0], y.size)


def significance_groups(
    predictions: Mapping[str, Any],
    references: Any,
    statistic: str = "pearson",
    *,
    test: str = "bootstrap",
    alpha: float = 0.05,
    n_resamples: int = 9999,
    seed: int | None = 0,
) -> dict[str, int]:
    """Group predictors by significance: 1 = the best and those not significantly worse than it.

    The best predictor (highest ``statistic``) of the remaining ones opens a group; every remaining predictor
    whose difference from it is not significant at ``alpha`` (paired bootstrap, or Williams' test for
    Pearson) joins that group; repeat on the rest. Comparisons are not corrected for multiplicity.

    Returns:
        ``{name: group}``, groups numbered from 1, in order of the predictors' statistic.
    """
    if test not in ("bootstrap", "williams"):
        raise ValueError(f"unknown test {test!r}; valid: ('bootstrap', 'williams')")
    if test == "williams" and statistic != "pearson":
        raise ValueError(
            "Williams' test compares Pearson correlations; use test='bootstrap' for other statistics"
        )
    values = {name: correlation(p, references, statistic)[0] for name, p in predictions.items()}
    remaining = sorted(values, key=lambda name: -np.nan_to_num(values[name], nan=-np.inf))
    groups: dict[str, int] = {}
    group = 0
    while remaining:
        group += 1
        best, *rest = remaining
        groups[best] = group
        remaining = []
        for name in rest:
            if test == "williams":
                p = williams_test_data(predictions[best], predictions[name], references)[1]
            else:
                p = paired_bootstrap(
                    predictions[best],
                    predictions[name],
                    references,
                    statistic,
                    n_resamples=n_resamples,
                    seed=seed,
                ).pvalue
            if p >= alpha:
                groups[name] = group
            else:
                remaining.append(name)
    return groups
