"""Turning user input into validated float vectors.

Lists, tuples, numpy arrays, pandas Series and torch tensors are accepted; anything that is not a
finite real number is refused with the offending index.

Example:
    >>> as_vector([1, 2.5, 3], "predictions")
    array([1. , 2.5, 3. ])
    >>> as_vector([1, "2", 3], "predictions")
    Traceback (most recent call last):
    ...
    ValueError: predictions[1] is not a number: '2' (str)
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

__all__ = ["DegenerateInputWarning", "as_pair", "as_vector", "is_degenerate"]


class DegenerateInputWarning(UserWarning):
    """A statistic is undefined for the input (too few items, or a constant vector): it is NaN."""


def _to_numpy(values: Any) -> np.ndarray:
    if hasattr(values, "detach") and hasattr(values, "cpu"):  # torch.Tensor, without importing torch
        values = values.detach().cpu().numpy()
    elif hasattr(values, "to_numpy"):  # pandas Series / Index
        values = values.to_numpy()
    return np.asarray(values) if isinstance(values, np.ndarray) else np.asarray(list(values), dtype=object)


def as_vector(values: Any, name: str = "values") -> np.ndarray:
    """``values`` as a 1-D float64 array of finite numbers.

    Raises:
        ValueError: not one-dimensional, a non-number (naming its index), or NaN/inf (naming its index).
    """
    if isinstance(values, str | bytes):
        raise ValueError(f"{name} must be a sequence of numbers, got {type(values).__name__}")
    array = _to_numpy(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.dtype.kind not in "biuf":
        for index, value in enumerate(array):
            if not isinstance(value, numbers.Real):
                raise ValueError(f"{name}[{index}] is not a number: {value!r} ({type(value).__name__})")
    array = array.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"{name}[{bad[0]}] is {array[bad[0]]}: values must be finite ({bad.size} non-finite value(s))"
        )
    return array


def as_pair(predictions: Any, references: Any) -> tuple[np.ndarray, np.ndarray]:
    """Both vectors, validated, of equal length."""
    x, y = as_vector(predictions, "predictions"), as_vector(references, "references")
    if x.shape != y.shape:
        raise ValueError(f"predictions has {x.size} values but references has {y.size}; they must be paired")
    return x, y


def is_degenerate(*vectors: np.ndarray, what: str = "correlation") -> bool:
    """Warn and return True when a correlation of ``vectors`` is undefined."""
    n = vectors[0].size
    if n < 3:
        warnings.warn(
            f"{what} needs at least 3 items, got {n}: returning NaN", DegenerateInputWarning, stacklevel=3
        )
        return True
    for vector in vectors:
        if np.all(vector == vector[0]):
            warnings.warn(
                f"{what} of a constant vector is undefined: returning NaN",
                DegenerateInputWarning,
                stacklevel=3,
            )
            return True
    return False
