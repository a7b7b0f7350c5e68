"""Bootstrap confidence intervals over prompts, and the paired bootstrap of a difference.

Resampling draws ``rng.integers(0, n, (batch, n))`` exactly as ``scipy.stats.bootstrap(..., paired=True)``
does, so with the same seed both see the same resamples and give the same interval (the tests check
percentile and BCa intervals against scipy to 1e-12). The statistics of all resamples are computed with
array operations (:class:`~pqpp.stats.resampled.ResampledCorrelations`), never a Python loop over
scipy calls.

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); y = x + rng.normal(size=200)
    >>> ci = bootstrap_ci(x, y, ["pearson"], n_resamples=2000, seed=1)["pearson"]
    >>> bool(ci.low < np.corrcoef(x, y)[0, 1] < ci.high)
    True
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.special import ndtr, ndtri

from pqpp.stats.inputs import DegenerateInputWarning
from pqpp.stats.resampled import ResampledCorrelations

__all__ = ["ConfidenceInterval", "bootstrap_ci", "interval", "resample_counts"]

CIMethod = Literal["percentile", "bca"]
CI_METHODS = ("percentile", "bca")


@dataclass(frozen=True)
class ConfidenceInterval:
    """A two-sided confidence interval."""

    low: float
    high: float
    confidence_level: float
    method: str

    def as_list(self) -> list[float]:
        return [self.low, self.high]


def check_ci_options(method: str, confidence_level: float, n_resamples: int) -> None:
    if method not in CI_METHODS:
        raise ValueError(f"unknown confidence interval method {method!r}; valid: {CI_METHODS}")
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level}")
    if int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples}")


def resample_counts(
    n: int, n_resamples: int, seed: int | np.random.Generator | None, batch: int
) -> Iterator[np.ndarray]:
    """Count matrices ``(b, n)`` of bootstrap resamples, ``batch`` rows at a time."""
    rng = np.random.default_rng(seed)
    for start in range(0, n_resamples, batch):
        rows = min(batch, n_resamples - start)
        index = rng.integers(0, n, (rows, n))
        flat = (index + n * np.arange(rows)[:, None]).ravel()
        yield np.bincount(flat, minlength=rows * n).reshape(rows, n)


def interval(
    theta_hat: float,
    theta_b: np.ndarray,
    confidence_level: float,
    method: str,
    jackknife: Callable[[], np.ndarray] | None = None,
) -> ConfidenceInterval:
    """Percentile or BCa interval from a bootstrap distribution (Efron & Tibshirani 1993, 14.3, 15.36).

    ``jackknife`` supplies the leave-one-out values for BCa's acceleration; it is called only for BCa.
    """
    alpha = (1 - confidence_level) / 2
    levels = np.array([alpha, 1 - alpha])
    theta_b = theta_b[np.isfinite(theta_b)]
    if theta_b.size == 0 or not np.isfinite(theta_hat):
        return ConfidenceInterval(float("nan"), float("nan"), confidence_level, method)
    if method == "bca":
        z0 = ndtri(((theta_b < theta_hat).sum() + (theta_b <= theta_hat).sum()) / (2 * theta_b.size))
        values = jackknife()
        u = values.mean() - values
        with np.errstate(invalid="ignore", divide="ignore"):
            accel = (u**3).sum() / (6 * ((u**2).sum()) ** 1.5)
        z = z0 + ndtri(levels)
        with np.errstate(invalid="ignore", divide="ignore"):
            levels = ndtr(z0 + z / (1 - accel * z))
        if not np.all(np.isfinite(levels)):
            warnings.warn(
                "the BCa interval is undefined for this sample (degenerate bootstrap or jackknife distribution): "
                "returning NaN; method='percentile' may still apply",
                DegenerateInputWarning,
                stacklevel=3,
            )
            return ConfidenceInterval(float("nan"), float("nan"), confidence_level, method)
    low, high = np.quantile(theta_b, levels, method="linear")
    return ConfidenceInterval(float(low), float(high), confidence_level, method)


def bootstrap_distribution(
    resampled: Callable[[np.ndarray], dict[str, np.ndarray]],
    n: int,
    n_resamples: int,
    seed: int | np.random.Generator | None,
    batch: int,
) -> dict[str, np.ndarray]:
    parts = [resampled(counts) for counts in resample_counts(n, n_resamples, seed, batch)]
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def default_batch(n: int) -> int:
    """Resamples per batch: about 2 M matrix entries, so Kendall's ``W @ S`` stays in cache-sized pieces."""
    return max(1, min(1000, 2_000_000 // max(n, 1)))


def bootstrap_ci(
    x: np.ndarray,
    y: np.ndarray,
    statistics: Sequence[str],
    *,
    confidence_level: float = 0.95,
    method: CIMethod = "bca",
    n_resamples: int = 9999,
    seed: int | np.random.Generator | None = None,
    batch: int | None = None,
) -> dict[str, ConfidenceInterval]:
    """Bootstrap confidence intervals of correlations between paired vectors, resampling prompts.

    Args:
        x, y: validated paired vectors (see :func:`pqpp.stats.inputs.as_pair`).
        statistics: any of ``pearson``, ``kendall_tau``, ``spearman`` (all from the same resamples).
        confidence_level: e.g. 0.95.
        method: ``"bca"`` (bias-corrected and accelerated, the default, as scipy) or ``"percentile"``.
        n_resamples: bootstrap resamples (scipy's default 9999).
        seed: seed or ``numpy.random.Generator``; the same seed gives scipy's resamples.
        batch: resamples computed at once (memory vs speed); the result does not depend on it.
    """
    check_ci_options(method, confidence_level, n_resamples)
    resampled = ResampledCorrelations(x, y, statistics)
    theta_hat = resampled(np.ones((1, x.size)))
    theta_b = bootstrap_distribution(resampled, x.size, n_resamples, seed, batch or default_batch(x.size))
    jackknife: dict[str, np.ndarray] = {}

    def leave_one_out(name: str) -> np.ndarray:
        if not jackknife:
            jackknife.update(resampled.jackknife())
        return jackknife[name]

    return {
        name: interval(
            float(theta_hat[name][0]),
            theta_b[name],
            confidence_level,
            method,
            functools.partial(leave_one_out, name),
        )
        for name in statistics
    }
