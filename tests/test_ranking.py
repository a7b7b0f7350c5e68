"""Retrieval measures: hand-made runs, ir_measures parity, and score-based vs rank-based equality."""

from __future__ import annotations

import ir_measures
import numpy as np
import pytest
from ir_measures import AP, RR, P

from pqpp.stats import ranking


def test_hand_made_runs() -> None:
    ranked = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]
    # relevant at ranks 2 and 5 and beyond the cut-off (21 at rank 11); 99 never retrieved
    relevant = {12, 15, 21, 99}
    assert ranking.precision_at_k(ranked, relevant, k=10) == 0.2
    assert ranking.precision_at_k(ranked, relevant, k=1) == 0.0
    assert ranking.reciprocal_rank(ranked, relevant) == 0.5
    assert ranking.average_precision(ranked, relevant) == pytest.approx((1 / 2 + 2 / 5 + 3 / 11) / 4)
    # fewer than k retrieved: still divided by k (trec_eval)
    assert ranking.precision_at_k([5, 6], {6}, k=10) == 0.1
    assert ranking.reciprocal_rank([1, 2, 3], {9}) == 0.0
    with pytest.raises(ValueError, match="repeats 3"):
        ranking.reciprocal_rank([1, 3, 3], {3})
    with pytest.raises(ValueError, match="k must be a positive integer"):
        ranking.precision_at_k([1], {1}, k=0)


def _random_runs(seed: int, queries: int = 40, pool: int = 300):
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(queries, pool))
    relevant = [rng.choice(pool, size=rng.integers(1, 12), replace=False) for _ in range(queries)]
    return scores, relevant


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equal_to_ir_measures(seed: int) -> None:
    scores, relevant = _random_runs(seed)
    qrels = {str(q): {str(d): 1 for d in rel} for q, rel in enumerate(relevant)}
    run = {str(q): {str(d): float(s) for d, s in enumerate(row)} for q, row in enumerate(scores)}
    expected = {
        (m.query_id, str(m.measure)): m.value for m in ir_measures.iter_calc([P @ 10, RR, AP], qrels, run)
    }
    for q, row in enumerate(scores):
        ranked = list(np.argsort(-row, kind="stable"))
        assert ranking.precision_at_k(ranked, relevant[q], 10) == pytest.approx(
            expected[(str(q), "P@10")], abs=1e-12
        )
        assert ranking.reciprocal_rank(ranked, relevant[q]) == pytest.approx(
            expected[(str(q), "RR")], abs=1e-12
        )
        assert ranking.average_precision(ranked, relevant[q]) == pytest.approx(
            expected[(str(q), "AP")], abs=1e-12
        )
    np.testing.assert_allclose(
        1 / ranking.first_relevant_rank(scores, relevant),
        [expected[(str(q), "RR")] for q in range(len(scores))],
    )
    np.testing.assert_allclose(
        ranking.precision_at_k_from_scores(scores, relevant, 10),
        [expected[(str(q), "P@10")] for q in range(40)],
    )
    np.testing.assert_allclose(
        ranking.average_precision_from_scores(scores, relevant), [expected[(str(q), "AP")] for q in range(40)]
    )


@pytest.mark.parametrize("pool", [1, 7, 1000, 1013])
def test_score_based_rank_equals_a_full_argsort(pool: int) -> None:
    rng = np.random.default_rng(pool)
    scores = rng.normal(size=(23, pool)).astype(np.float32)
    relevant = [rng.choice(pool, size=min(pool, rng.integers(1, 5)), replace=False) for _ in range(23)]
    ranks = ranking.first_relevant_rank(scores, relevant)
    for q in range(23):
        order = np.argsort(-scores[q], kind="stable")
        assert ranks[q] == 1 + np.flatnonzero(np.isin(order, relevant[q]))[0]


def test_tie_policy_favours_relevant_images() -> None:
    scores = np.array([[0.5, 0.9, 0.5, 0.5, 0.1]])
    # image 2 (relevant) ties with 0 and 3 at 0.5, below 1: optimistic rank 2
    assert ranking.first_relevant_rank(scores, [[2]]).tolist() == [2]
    # P@2: one slot left after image 1, taken by the tied relevant image
    assert ranking.precision_at_k_from_scores(scores, [[2]], k=2).tolist() == [0.5]
    assert ranking.precision_at_k_from_scores(scores, [[2, 4]], k=2).tolist() == [0.5]
    # AP: relevant 2 at optimistic rank 2, relevant 4 after all four others: rank 5 -> (1/2 + 2/5) / 2
    assert ranking.average_precision_from_scores(scores, [[2, 4]]).tolist() == [
        pytest.approx((1 / 2 + 2 / 5) / 2)
    ]


def test_score_input_errors() -> None:
    scores = np.zeros((2, 5))
    with pytest.raises(ValueError, match="2 queries"):
        ranking.first_relevant_rank(scores, [[1]])
    with pytest.raises(ValueError, match="query 1 has no relevant image"):
        ranking.first_relevant_rank(scores, [[1], []])
    with pytest.raises(ValueError, match="out of the pool of 5"):
        ranking.first_relevant_rank(scores, [[1], [5]])
    with pytest.raises(ValueError, match=r"scores\[0, 3\] is nan"):
        ranking.first_relevant_rank(np.array([[0, 0, 0, np.nan]]), [[1]])
