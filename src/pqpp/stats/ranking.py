"""Retrieval measures for text-to-image retrieval: P@k, RR and AP, from ranked lists or from scores.

From **ranked lists** (image ids, best first) the measures are trec_eval's (and ``ir_measures``' ``P@k``,
``RR``, ``AP``): P@k counts relevant images in the first ``k`` and divides by ``k`` even when fewer were
retrieved; RR is 1 / rank of the first relevant image (0 if none); AP sums precision at each relevant
image and divides by the number of relevant images.

From **scores** over an image pool (one row per query) nothing is sorted. The rank of a query's first
relevant image is one plus the number of pool items scoring strictly above its best-scoring relevant
image; P@k counts relevant items above the k-th score and fills the remaining slots with relevant items
tied at it. **Tie policy: ties are broken in favour of relevant images** (an optimistic ordering); with
distinct scores, as real embeddings give, the result equals a full sort.

Example:
    >>> precision_at_k(["a", "x", "b"], {"a", "b"}, k=10), reciprocal_rank(["x", "a"], {"a"})
    (0.2, 0.5)
    >>> import numpy as np
    >>> scores = np.array([[0.1, 0.9, 0.5, 0.7]])  # image 2 is relevant: two images score above it
    >>> first_relevant_rank(scores, [[2]]).tolist()
    [3]
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

__all__ = [
    "average_precision",
    "average_precision_from_scores",
    "first_relevant_rank",
    "precision_at_k",
    "precision_at_k_from_scores",
    "reciprocal_rank",
]


def _check_ranking(ranked: Sequence[Any]) -> None:
    if len(set(ranked)) != len(ranked):
        seen: set[Any] = set()
        duplicate = next(item for item in ranked if item in seen or seen.add(item))
        raise ValueError(f"ranked list repeats {duplicate!r}; each image may appear once")


def _check_k(k: int) -> None:
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")


def precision_at_k(ranked: Sequence[Any], relevant: Collection[Any], k: int = 10) -> float:
    """Relevant images among the first ``k`` of ``ranked``, divided by ``k``."""
    _check_k(k)
    _check_ranking(ranked)
    relevant = set(relevant)
    return sum(item in relevant for item in ranked[:k]) / k


def reciprocal_rank(ranked: Sequence[Any], relevant: Collection[Any]) -> float:
    """1 / (1-based rank of the first relevant image), 0 when none is retrieved."""
    _check_ranking(ranked)
    relevant = set(relevant)
    return next((1 / rank for rank, item in enumerate(ranked, 1) if item in relevant), 0.0)


def average_precision(ranked: Sequence[Any], relevant: Collection[Any]) -> float:
    """Mean over relevant images of the precision at their rank (0 for unretrieved ones)."""
    _check_ranking(ranked)
    relevant = set(relevant)
    if not relevant:
        return 0.0
    hits, total = 0, 0.0
    for rank, item in enumerate(ranked, 1):
        if item in relevant:
            hits += 1
            total += hits / rank
    return total / len(relevant)


def _scores_and_relevance(
    scores: Any, relevant: Sequence[Sequence[int]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    scores = np.asarray(scores)
    if scores.ndim == 1:
        scores = scores[None, :]
    if scores.ndim != 2:
        raise ValueError(f"scores must have shape (queries, pool), got {scores.shape}")
    if len(relevant) != scores.shape[0]:
        raise ValueError(f"{len(relevant)} relevance lists for {scores.shape[0]} queries")
    if not np.all(np.isfinite(scores)):
        row, col = np.argwhere(~np.isfinite(scores))[0]
        raise ValueError(f"scores[{row}, {col}] is {scores[row, col]}: scores must be finite")
    columns = []
    for query, items in enumerate(relevant):
        items = np.unique(np.asarray(items, dtype=np.int64))
        if items.size == 0:
            raise ValueError(f"query {query} has no relevant image: its measures are undefined (skip it)")
        if items[0] < 0 or items[-1] >= scores.shape[1]:
            raise ValueError(f"query {query}: relevant index out of the pool of {scores.shape[1]} images")
        columns.append(items)
    return scores, columns


def _best_relevant(scores: np.ndarray, columns: list[np.ndarray]) -> np.ndarray:
    rows = np.repeat(np.arange(len(columns)), [c.size for c in columns])
    best = np.full(len(columns), -np.inf, dtype=scores.dtype)
    np.maximum.at(best, rows, scores[rows, np.concatenate(columns)])
    return best


def first_relevant_rank(scores: Any, relevant: Sequence[Sequence[int]]) -> np.ndarray:
    """Rank of each query's first relevant pool item: ``1 + #(pool scores > best relevant score)``.

    Args:
        scores: ``(queries, pool)`` similarity scores (or one query's ``(pool,)``).
        relevant: per query, the pool indices of its relevant images (non-empty).
    """
    scores, columns = _scores_and_relevance(scores, relevant)
    best = _best_relevant(scores, columns)
    return 1 + np.count_nonzero(scores > best[:, None], axis=1)


def precision_at_k_from_scores(scores: Any, relevant: Sequence[Sequence[int]], k: int = 10) -> np.ndarray:
    """P@k per query from scores, ties at the k-th score broken in favour of relevant images."""
    _check_k(k)
    scores, columns = _scores_and_relevance(scores, relevant)
    k_eff = min(k, scores.shape[1])
    kth = np.partition(scores, scores.shape[1] - k_eff, axis=1)[:, scores.shape[1] - k_eff]
    above = np.count_nonzero(scores > kth[:, None], axis=1)
    hits = np.empty(len(columns))
    for query, items in enumerate(columns):
        values = scores[query, items]
        relevant_above = np.count_nonzero(values > kth[query])
        relevant_tied = np.count_nonzero(values == kth[query])
        hits[query] = relevant_above + min(relevant_tied, k_eff - above[query])
    return hits / k


def average_precision_from_scores(scores: Any, relevant: Sequence[Sequence[int]]) -> np.ndarray:
    """AP per query from scores over the whole pool, ties broken in favour of relevant images."""
    scores, columns = _scores_and_relevance(scores, relevant)
    out = np.empty(len(columns))
    for query, items in enumerate(columns):
        row = scores[query]
        values = np.sort(row[items])[::-1]
        mask = np.ones(row.size, dtype=bool)
        mask[items] = False
        others = np.sort(row[mask])
        # AP needs every relevant image's rank, so here the non-relevant scores are sorted once and searched.
        nonrelevant_above = others.size - np.searchsorted(others, values, side="right")
        ranks = np.arange(1, values.size + 1) + nonrelevant_above
        out[query] = np.mean(np.arange(1, values.size + 1) / ranks)
    return out
