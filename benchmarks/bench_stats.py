"""Time pqpp.stats against the obvious baselines, in one run.

1. Bootstrap distribution of a correlation (n prompts, B resamples): our vectorised resampled statistics
   vs a Python loop of scipy calls on each resample (what ``scipy.stats.bootstrap`` does with a
   non-vectorised statistic). Both see the same resamples; the script checks they agree.
2. Rank of the first relevant image for Q queries over a pool of N images (random unit embeddings, 1 to
   12 relevant images per query): ours (count of pool scores above the best relevant one, chunked) vs a
   full ``argsort`` of each query's scores. Both get the same score chunks; the script checks the ranks
   agree. Computing the scores (a matrix product) is timed separately.

Usage:
    python benchmarks/bench_stats.py                       # n=2080, B=10000; Q=10000, N=118287
    python benchmarks/bench_stats.py --queries 2000 --pool 20000 --resamples 2000   # quick
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from scipy import stats

from pqpp.stats.bootstrap import bootstrap_distribution, default_batch
from pqpp.stats.ranking import first_relevant_rank
from pqpp.stats.resampled import ResampledCorrelations

SCIPY = {"pearson": stats.pearsonr, "kendall_tau": stats.kendalltau, "spearman": stats.spearmanr}


def bench_bootstrap(n: int, resamples: int, loop_resamples: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(-1, 3, n) + rng.normal(scale=0.3, size=n)  # like PQPP: predictions vs tied targets
    y = np.round(np.clip(0.4 * x + rng.normal(size=n), -1, 2) * 4) / 4
    print(f"\nbootstrap distribution: n = {n}, B = {resamples} (loop baseline timed on {loop_resamples})")
    print(f"{'statistic':12} {'ours (s)':>9} {'scipy loop (s)':>15} {'speed-up':>9}")
    for name, fn in SCIPY.items():
        resampled = ResampledCorrelations(x, y, [name])
        start = time.perf_counter()
        ours = bootstrap_distribution(resampled, n, resamples, 1, default_batch(n))[name]
        t_ours = time.perf_counter() - start
        index = np.random.default_rng(1).integers(0, n, (loop_resamples, n))
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loop = np.array([fn(x[row], y[row]).statistic for row in index])
        t_loop = (time.perf_counter() - start) * resamples / loop_resamples
        np.testing.assert_allclose(ours[:loop_resamples], loop, atol=1e-12)
        print(f"{name:12} {t_ours:9.2f} {t_loop:15.2f} {t_loop / t_ours:8.1f}x")


def bench_first_relevant(queries: int, pool: int, dim: int, chunk: int) -> None:
    rng = np.random.default_rng(0)
    # float64 scores: with float32, distinct images can tie, and the argsort baseline breaks ties
    # arbitrarily while ours favours relevant images, so the check below would not be like for like.
    images = rng.normal(size=(pool, dim))
    images /= np.linalg.norm(images, axis=1, keepdims=True)
    texts = rng.normal(size=(queries, dim))
    texts /= np.linalg.norm(texts, axis=1, keepdims=True)
    relevant = [rng.choice(pool, size=rng.integers(1, 13), replace=False) for _ in range(queries)]
    t_scores = t_ours = t_sort = 0.0
    for start in range(0, queries, chunk):
        stop = min(start + chunk, queries)
        tick = time.perf_counter()
        scores = texts[start:stop] @ images.T
        t_scores += time.perf_counter() - tick

        tick = time.perf_counter()
        ours = first_relevant_rank(scores, relevant[start:stop])
        t_ours += time.perf_counter() - tick

        tick = time.perf_counter()
        order = np.argsort(-scores, axis=1)
        baseline = np.array(
            [1 + np.flatnonzero(np.isin(row, relevant[start + i]))[0] for i, row in enumerate(order)]
        )
        t_sort += time.perf_counter() - tick
        if not np.array_equal(ours, baseline):
            raise AssertionError("ranks differ from the argsort ranking")
    print(f"\nfirst relevant rank: {queries} queries x {pool} pool images (dim {dim}, chunks of {chunk})")
    print(f"scores (matrix product): {t_scores:.2f} s")
    print(f"ours (count above best relevant): {t_ours:.2f} s; argsort ranking: {t_sort:.2f} s; "
          f"speed-up {t_sort / t_ours:.1f}x")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2080, help="prompts (default: v1.1 test split)")
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--loop_resamples", type=int, default=1000, help="resamples timed for the scipy loop")
    parser.add_argument("--queries", type=int, default=10_000)
    parser.add_argument("--pool", type=int, default=118_287, help="default: COCO train2017")
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--chunk", type=int, default=256)
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} CPUs")
    bench_bootstrap(args.n, args.resamples, min(args.loop_resamples, args.resamples))
    bench_first_relevant(args.queries, args.pool, args.dim, args.chunk)


if __name__ == "__main__":
    main()
