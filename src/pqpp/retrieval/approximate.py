"""Approximate search with a FAISS index, for pools too large for exact scoring in memory.

Exact scoring (:func:`pqpp.retrieval.score.score_queries`) holds every image embedding in memory and ranks
the whole pool. A FAISS index built from any ``faiss.index_factory`` string (``"IVF4096,PQ64"``
compresses each 512-d vector to 64 bytes) is filled shard by shard from the embedding store, so the float
embeddings never need to fit in memory together, and is searched to a fixed depth. **The trade-off**:
only the first ``depth`` images of an approximate ranking are known, so

* RR is exact only when the first relevant image is both found by the index and within ``depth``;
  otherwise it is reported as 0, a lower bound (the share of such queries is returned);
* P@k counts relevant images among the approximate top k (quantisation and probing can miss some).

``"Flat"`` (or an IVF index probing every list) is exact and equals exact scoring up to ``depth``.

Example:
    >>> import numpy as np
    >>> images = np.eye(4, dtype=np.float32)
    >>> shards = [(images[:2], np.array([10, 11])), (images[2:], np.array([12, 13]))]
    >>> result = search_index(build_index(shards, "Flat"), np.array([[0.1, 0.9, 0.5, 0.7]], np.float32), [[12]], depth=4)
    >>> result["rank"].tolist(), result["ids"][0].tolist()
    ([3], [11, 13, 12, 10])
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["build_index", "search_index"]


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as error:
        raise ImportError('approximate search needs FAISS: pip install "pqpp[faiss]"') from error
    return faiss


def build_index(
    shards: Iterable[tuple[np.ndarray, np.ndarray]],
    factory: str,
    *,
    train_size: int = 100_000,
    nprobe: int = 8,
) -> Any:
    """An inner-product FAISS index (``faiss.index_factory`` string) over ``(embeddings, ids)`` shards.

    Indexes that need training are trained on the first ``train_size`` vectors.

    Raises:
        ValueError: multi-vector embeddings (BLIP-2), which this index does not support.
    """
    faiss = _faiss()
    shards = iter(shards)
    buffered: list[tuple[np.ndarray, np.ndarray]] = []
    index = None
    for embeddings, ids in shards:
        if embeddings.ndim != 2:
            raise ValueError(
                "approximate search supports one vector per image (open_clip), not BLIP-2's query tokens"
            )
        if index is None:
            index = faiss.IndexIDMap2(
                faiss.index_factory(embeddings.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
            )
        buffered.append((np.ascontiguousarray(embeddings, dtype=np.float32), ids.astype(np.int64)))
        if not index.is_trained and sum(len(e) for e, _ in buffered) < train_size:
            continue
        if not index.is_trained:
            index.train(np.concatenate([e for e, _ in buffered])[:train_size])
        for e, i in buffered:
            index.add_with_ids(e, i)
        buffered = []
    if index is None:
        raise ValueError("no embeddings to index")
    if buffered:
        if not index.is_trained:
            index.train(np.concatenate([e for e, _ in buffered]))
        for e, i in buffered:
            index.add_with_ids(e, i)
    with contextlib.suppress(RuntimeError):  # not an IVF index: nothing to probe
        faiss.extract_index_ivf(index.index).nprobe = nprobe
    return index


def search_index(
    index: Any, queries: np.ndarray, relevant_ids: Sequence[Sequence[int]], *, k: int = 10, depth: int = 1000
) -> dict[str, Any]:
    """Search ``depth`` images per query: ``rank`` of the first relevant id (0 = not found within depth),
    ``precision`` (P@k over the approximate ranking), ``ids`` / ``scores`` (the ranking), ``found`` share."""
    scores, ids = index.search(np.ascontiguousarray(queries, dtype=np.float32), depth)
    ranks = np.zeros(len(queries), dtype=np.int64)
    precision = np.zeros(len(queries))
    for q, (row, relevant) in enumerate(zip(ids, relevant_ids, strict=True)):
        hits = np.isin(row, np.asarray(relevant, dtype=np.int64)) & (row >= 0)
        first = np.flatnonzero(hits)
        ranks[q] = first[0] + 1 if first.size else 0
        precision[q] = hits[:k].sum() / k
    return {
        "rank": ranks,
        "precision": precision,
        "ids": ids,
        "scores": scores,
        "found": float(np.mean(ranks > 0)),
    }
