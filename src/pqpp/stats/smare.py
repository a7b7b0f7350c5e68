"""sMARE: scaled Mean Absolute Rank Error (Faggioli et al., 2021).

Each prompt's predicted rank is compared with its actual rank among all prompts:
``SARE(q) = |rank_pred(q) - rank_actual(q)| / n`` and sMARE is their mean. 0 is a perfect ranking; a
reversed one scores about 0.5. Lower is better. Ties get average ranks (``scipy.stats.rankdata``'s
``"average"``), so tied prompts are neither rewarded nor punished for an arbitrary order.

Example:
    >>> result = smare([0.9, 0.1, 0.5], [3.0, 1.0, 2.0])
    >>> result.value, result.per_query.tolist()
    (0.0, [0.0, 0.0, 0.0])
    >>> round(smare([3, 2, 1], [1, 2, 3]).value, 4)  # ranks 3,2,1 vs 1,2,3: (2 + 0 + 2) / 3 / 3
    0.4444
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from pqpp.stats.inputs import DegenerateInputWarning, as_pair

__all__ = ["SmareResult", "smare"]


@dataclass(frozen=True)
class SmareResult:
    """sMARE and the per-prompt scaled absolute rank errors it averages."""

    value: float
    per_query: np.ndarray


def smare(predictions: Any, references: Any) -> SmareResult:
    """sMARE of ``predictions`` against ``references`` (lower is better, range [0, 1))."""
    x, y = as_pair(predictions, references)
    if x.size == 0:
        import warnings

        warnings.warn("sMARE of no items is undefined: returning NaN", DegenerateInputWarning, stacklevel=2)
        return SmareResult(float("nan"), np.empty(0))
    per_query = np.abs(rankdata(x) - rankdata(y)) / x.size
    return SmareResult(float(per_query.mean()), per_query)
