"""``pqpp analyze``: how related are PQPP's nine targets, and do predictors transfer between them?

* The target matrix: Pearson and Kendall between every pair of ground-truth targets, per split and over
  all splits — how related generation and retrieval difficulty are, SDXL and GLIDE, CLIP and BLIP-2.
* The transfer matrix: each single-target predictor (a trainer output folder trained with one
  ``--targets``) evaluated on every target of the test split.

Example:
    >>> rows = [{"glide_score": float(i), "sdxl_score": float(i % 3), "source": "mscoco"} for i in range(9)]
    >>> matrix = target_matrix({"test": rows}, ["glide_score", "sdxl_score"])
    >>> matrix["test"]["pearson"]["glide_score"]["glide_score"]
    1.0
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pqpp.benchmark.predictions import align, read_predictions
from pqpp.data import load_pqpp
from pqpp.data.registry import SPLITS, get_release
from pqpp.data.schema import TARGETS
from pqpp.stats import correlation

__all__ = ["run_analysis", "target_matrix", "transfer_matrix"]

STATISTICS = ("pearson", "kendall_tau")


def target_matrix(
    splits: Mapping[str, Sequence[Mapping[str, Any]]], targets: Sequence[str] = TARGETS
) -> dict:
    """``{split or "all": {statistic: {target: {target: value}}}}`` between ground-truth targets."""
    groups = dict(splits)
    if len(groups) > 1:
        groups["all"] = [row for rows in splits.values() for row in rows]
    out: dict[str, Any] = {}
    for name, rows in groups.items():
        values = {t: np.array([row[t] for row in rows], dtype=np.float64) for t in targets}
        out[name] = {
            statistic: {
                a: {b: correlation(values[a], values[b], statistic)[0] for b in targets} for a in targets
            }
            for statistic in STATISTICS
        }
    return out


def transfer_matrix(
    runs: Sequence[str | os.PathLike], rows: Sequence[Mapping[str, Any]], split: str = "test"
) -> dict:
    """``{statistic: {trained target: {evaluated target: value}}}`` for single-target trainer runs.

    Raises:
        ValueError: a run predicts more than one target, or two runs predict the same one.
    """
    split_ids = [row["prompt_id"] for row in rows]
    trained: dict[str, np.ndarray] = {}
    for run in runs:
        ids, values = read_predictions(run, split)
        if len(values) != 1:
            raise ValueError(f"{run}: a transfer run must predict one target, it predicts {list(values)}")
        (target,) = values
        if target in trained:
            raise ValueError(f"two runs predict {target}")
        trained[target] = align(ids, values, split_ids, str(run))[target]
    truth = {t: np.array([row[t] for row in rows], dtype=np.float64) for t in TARGETS}
    return {
        statistic: {
            a: {b: correlation(p, truth[b], statistic)[0] for b in TARGETS} for a, p in trained.items()
        }
        for statistic in STATISTICS
    }


def _markdown_matrix(title: str, matrix: Mapping[str, Mapping[str, float]]) -> list[str]:
    columns = list(next(iter(matrix.values())))
    lines = ["", f"### {title}", "", "| | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
    lines += [
        f"| {row} | " + " | ".join(f"{v:.3f}" for v in values.values()) + " |"
        for row, values in matrix.items()
    ]
    return lines


def _heatmap(matrix: Mapping[str, Mapping[str, float]], title: str, path: Path) -> None:
    from pqpp.benchmark.figures import _pyplot

    plt = _pyplot()
    rows, columns = list(matrix), list(next(iter(matrix.values())))
    values = np.array([[matrix[r][c] for c in columns] for r in rows])
    fig, ax = plt.subplots(figsize=(1.2 + 0.7 * len(columns), 1.0 + 0.55 * len(rows)))
    image = ax.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(columns)), columns, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for (i, j), value in np.ndenumerate(values):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7)
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def run_analysis(
    runs: Sequence[str] = (),
    *,
    output_dir: str | os.PathLike = "analysis",
    version: str | None = None,
    data_dir: str | None = None,
    figures: bool = True,
) -> dict:
    """Write ``analysis.md``, ``analysis.json`` and heatmaps of the target and transfer matrices."""
    release = get_release(version)
    dataset = load_pqpp(release.version, data_dir)
    splits = {split: dataset[split].to_list() for split in SPLITS}
    result: dict[str, Any] = {"version": release.version, "targets": target_matrix(splits)}
    if runs:
        result["transfer"] = transfer_matrix(runs, splits["test"])
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    lines = [f"# PQPP {release.version}: relations between targets", "", "## Ground truth vs ground truth"]
    for split, block in result["targets"].items():
        for statistic, matrix in block.items():
            lines += _markdown_matrix(f"{statistic}, {split}", matrix)
    if runs:
        lines += ["", "## Transfer (rows: target trained on; columns: target evaluated on; test split)"]
        for statistic, matrix in result["transfer"].items():
            lines += _markdown_matrix(statistic, matrix)
    (output / "analysis.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (output / "analysis.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    if figures:
        (output / "figures").mkdir(exist_ok=True)
        for statistic in STATISTICS:
            _heatmap(result["targets"]["all"][statistic], f"targets, {statistic} (all splits)",
                     output / "figures" / f"targets_{statistic}.png")  # fmt: skip
            if runs:
                _heatmap(result["transfer"][statistic], f"transfer, {statistic} (test)",
                         output / "figures" / f"transfer_{statistic}.png")  # fmt: skip
    return result
