"""Scoring queries against a pool of image embeddings: exact, chunked, without sorting the pool.

For each chunk of queries the cosine similarities to the whole pool are one matrix product (on CPU or
GPU); from it come the top-k images per query (for a TREC run file, by ``torch.topk``), the rank of the
first relevant image (one plus the number of images scoring strictly above the best relevant one) and
P@k, through :mod:`pqpp.stats.ranking` (ties favour relevant images).

Example:
    >>> import numpy as np
    >>> images = np.eye(3, dtype=np.float32)
    >>> result = score_queries(np.array([[0.1, 0.9, 0.5]], dtype=np.float32), images, [[2]], k=1, top_k=2)
    >>> result["rank"].tolist(), result["top_ids"].tolist()
    ([2], [[1, 2]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pqpp.stats import ranking

__all__ = ["score_queries", "write_trec_run"]


def score_queries(
    queries: np.ndarray,
    images: np.ndarray,
    relevant: Sequence[Sequence[int]],
    *,
    k: int = 10,
    top_k: int = 100,
    chunk: int = 256,
    device: str = "cpu",
) -> dict[str, Any]:
    """Ranks, P@k and the top-k of each query.

    Args:
        queries: ``(Q, D)`` normalised text embeddings.
        images: ``(N, D)`` normalised image embeddings, or ``(N, T, D)`` for multi-vector images (BLIP-2's
            query tokens), scored by their best vector.
        relevant: per query, the pool positions of its relevant images (non-empty).
        k: precision cut-off.
        top_k: images kept per query for the run file.
        chunk: queries scored at once (memory: ``chunk × N`` floats).
        device: where the matrix products run.

    Returns:
        ``rank`` (first relevant image, 1-based), ``precision`` (P@k), ``top_ids`` / ``top_scores`` (pool
        positions and scores of the top-k, best first).
    """
    import torch

    if len(relevant) != len(queries):
        raise ValueError(f"{len(relevant)} relevance lists for {len(queries)} queries")
    vectors = images.shape[1] if images.ndim == 3 else 1
    pool = torch.from_numpy(np.ascontiguousarray(images.reshape(-1, images.shape[-1]))).to(device)
    chunk = max(1, chunk // vectors)  # the same memory per chunk whatever the vectors per image
    top_k = min(top_k, len(images))
    ranks, precision, top_ids, top_scores = [], [], [], []
    for start in range(0, len(queries), chunk):
        block = torch.from_numpy(np.ascontiguousarray(queries[start : start + chunk])).to(device)
        scores = block @ pool.T
        if vectors > 1:
            scores = scores.view(len(block), len(images), vectors).amax(dim=2)
        best = torch.topk(scores, top_k, dim=1)
        scores = scores.float().cpu().numpy()
        judged = relevant[start : start + chunk]
        ranks.append(ranking.first_relevant_rank(scores, judged))
        precision.append(ranking.precision_at_k_from_scores(scores, judged, k))
        top_ids.append(best.indices.cpu().numpy())
        top_scores.append(best.values.float().cpu().numpy())
    return {
        "rank": np.concatenate(ranks),
        "precision": np.concatenate(precision),
        "top_ids": np.concatenate(top_ids),
        "top_scores": np.concatenate(top_scores),
    }


def write_trec_run(
    path: Any, query_ids: Sequence[str], doc_ids: np.ndarray, scores: np.ndarray, tag: str
) -> None:
    """``qid Q0 docid rank score tag`` lines, written atomically (negative ids, FAISS's padding, are left out)."""
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w") as handle:
        for qid, docs, values in zip(query_ids, doc_ids, scores, strict=True):
            for rank, (doc, value) in enumerate(zip(docs[docs >= 0], values[docs >= 0], strict=True), 1):
                handle.write(f"{qid} Q0 {doc} {rank} {value:.6f} {tag}\n")
    tmp.replace(path)
