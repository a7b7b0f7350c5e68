"""The PQPP leaderboard: predictions and baselines scored with intervals, significance and the paper."""

from pqpp.benchmark.leaderboard import build_leaderboard, paper_results, to_markdown
from pqpp.benchmark.predictions import PredictionError, align, read_predictions
from pqpp.benchmark.run import run_benchmark

__all__ = [
    "PredictionError",
    "align",
    "build_leaderboard",
    "paper_results",
    "read_predictions",
    "run_benchmark",
    "to_markdown",
]
