"""Prediction targets and how they are scaled for training.

The nine targets are the dataset's score columns. Models are trained on normalised targets,
``z = (y - shift) / scale`` per target, and predict on the original scale. Normalisations:

* ``paper``: the paper's recipe, generation scores mapped from [-1, 2] to [0, 1] (``(y + 1) / 3``),
  retrieval scores (already in [0, 1]) unchanged;
* ``standardize``: z-scores with the training split's mean and standard deviation, so every target of a
  multi-output head weighs the same in the loss;
* ``none``: unchanged.

Example:
    >>> resolve_targets(["generation", "clip_rr"])
    ['glide_score', 'sdxl_score', 'generation_score', 'clip_rr']
    >>> normalization("paper", ["sdxl_score", "clip_p10"])
    {'sdxl_score': [-1.0, 3.0], 'clip_p10': [0.0, 1.0]}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from pqpp.data.schema import GENERATION_TARGETS, RETRIEVAL_TARGETS, TARGETS

__all__ = ["NORMALIZATIONS", "TARGET_GROUPS", "normalization", "resolve_targets"]

TARGET_GROUPS = {
    "all": TARGETS,
    "generation": GENERATION_TARGETS,
    "retrieval": RETRIEVAL_TARGETS,
}
NORMALIZATIONS = ("paper", "standardize", "none")


def resolve_targets(names: Sequence[str]) -> list[str]:
    """Target columns named by ``names`` (targets or the groups ``all``, ``generation``, ``retrieval``).

    Raises:
        ValueError: an unknown name, listing the valid ones; or no target.
    """
    out: list[str] = []
    for name in names:
        if name in TARGET_GROUPS:
            out += TARGET_GROUPS[name]
        elif name in TARGETS:
            out.append(name)
        else:
            raise ValueError(f"unknown target {name!r}; valid: {[*TARGET_GROUPS, *TARGETS]}")
    if not out:
        raise ValueError("no target given")
    return list(dict.fromkeys(out))


def normalization(
    kind: str, targets: Sequence[str], train: Mapping[str, Sequence[float]] | None = None
) -> dict[str, list[float]]:
    """``{target: [shift, scale]}`` for ``kind`` (``standardize`` needs the training values)."""
    if kind == "paper":
        return {t: [-1.0, 3.0] if t in GENERATION_TARGETS else [0.0, 1.0] for t in targets}
    if kind == "standardize":
        if train is None:
            raise ValueError("standardize needs the training targets")
        return {t: [float(np.mean(train[t])), float(np.std(train[t]))] for t in targets}
    if kind == "none":
        return {t: [0.0, 1.0] for t in targets}
    raise ValueError(f"unknown normalization {kind!r}; valid: {NORMALIZATIONS}")
