"""Leaderboard figures (matplotlib, written as PNG): correlations with intervals per target, and the best
predictor's predictions against the ground truth."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["correlation_chart", "scatter_best"]


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as error:
        raise ImportError('figures need matplotlib: pip install "pqpp[benchmark]"') from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def correlation_chart(board: Mapping[str, Any], path: Path) -> Path:
    """One panel per target: each predictor's Pearson r with its 95% interval; the paper's reported values
    as open diamonds."""
    plt = _pyplot()
    targets = list(board["targets"])
    rows = sum(len(b["entries"]) + len(b["paper"]["reported"]) for b in board["targets"].values())
    fig, axes = plt.subplots(
        len(targets), 1, figsize=(8, 1.0 + 0.3 * rows + 0.4 * len(targets)), squeeze=False
    )
    for ax, target in zip(axes[:, 0], targets, strict=True):
        block = board["targets"][target]
        names = [e["predictor"] for e in block["entries"]] + [
            f"{n} (paper)" for n in block["paper"]["reported"]
        ]
        values = [e["pearson"] for e in block["entries"]]
        lows = [e["pearson"] - e["pearson_ci"][0] for e in block["entries"]]
        highs = [e["pearson_ci"][1] - e["pearson"] for e in block["entries"]]
        y = np.arange(len(names))
        ax.errorbar(values, y[: len(values)], xerr=[lows, highs], fmt="o", color="tab:blue", capsize=3)
        paper = [v["pearson"] for v in block["paper"]["reported"].values()]
        ax.plot(paper, y[len(values) :], "D", mfc="none", color="tab:red")
        ax.set_yticks(y, names, fontsize=8)
        ax.invert_yaxis()
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(target, fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("Pearson r (95% BCa interval)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def scatter_best(
    board: Mapping[str, Any],
    predictions: Mapping[str, Mapping[str, np.ndarray]],
    truth: Mapping[str, Sequence[float]],
    folder: Path,
) -> list[Path]:
    """For each target, the top predictor's predictions against the ground truth."""
    plt = _pyplot()
    written = []
    for target, block in board["targets"].items():
        best = block["entries"][0]["predictor"]
        fig, ax = plt.subplots(figsize=(4.5, 4))
        ax.scatter(truth[target], predictions[best][target], s=4, alpha=0.4)
        ax.set_xlabel(f"actual {target}")
        ax.set_ylabel(f"predicted ({best})")
        ax.set_title(f"{target}: r = {block['entries'][0]['pearson']:.3f}", fontsize=9)
        fig.tight_layout()
        path = folder / f"scatter_{target}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
