"""``pqpp benchmark``: score predictions and baselines on a split and write the leaderboard.

Example:
    >>> run_benchmark(["runs/minilm"], output_dir="leaderboard", data_dir="../shared/pqpp-upstream/v1.1")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pqpp.benchmark.leaderboard import build_leaderboard, to_markdown
from pqpp.benchmark.predictions import align, read_predictions
from pqpp.data import load_pqpp
from pqpp.data.registry import get_release
from pqpp.data.schema import TARGETS
from pqpp.features import linguistic_features

__all__ = ["run_benchmark", "train_default_predictor"]

QUICK_STEPS = 30

logger = logging.getLogger(__name__)


def _named(source: str) -> tuple[str, Path]:
    """``NAME=PATH`` or ``PATH`` (named after the file or folder)."""
    name, sep, path = source.partition("=")
    if sep and name and path:
        return name, Path(path)
    path = Path(source)
    return (path.stem if path.is_file() else path.name), path


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def train_default_predictor(
    run_dir: Path,
    *,
    version: str,
    data_dir: str | None,
    quick: bool = False,
    model_name_or_path: str | None = None,
    seed: int = 42,
) -> Path:
    """Train the default text predictor into ``run_dir`` (``trainers/train_bert.py`` with its defaults).

    A finished run there is reused; an interrupted one resumes from its latest checkpoint. ``quick`` trains
    for :data:`QUICK_STEPS` steps only (a smoke run, not a result).
    """
    from pqpp.train import text

    if (run_dir / "config.json").is_file() and (run_dir / "all_results.json").is_file():
        logger.info("reusing the finished run in %s", run_dir)
        return run_dir
    argv = ["--output_dir", str(run_dir), "--dataset_version", version, "--seed", str(seed)]
    argv += [
        "--checkpointing_steps",
        "epoch",
        "--checkpoints_total_limit",
        "1",
        "--resume_from_checkpoint",
        "latest",
    ]
    argv += ["--data_dir", data_dir] if data_dir else []
    argv += ["--model_name_or_path", model_name_or_path] if model_name_or_path else []
    argv += ["--max_train_steps", str(QUICK_STEPS), "--eval_steps", str(QUICK_STEPS)] if quick else []
    text.main(argv)
    return run_dir


def run_benchmark(
    predictions: Sequence[str] = (),
    *,
    output_dir: str | os.PathLike = "leaderboard",
    version: str | None = None,
    data_dir: str | None = None,
    split: str = "test",
    features: bool = True,
    figures: bool = True,
    n_resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Score every predictions source and the linguistic baselines; write ``leaderboard.md``/``.json`` and figures.

    Args:
        predictions: trainer output folders or CSV/Parquet files, optionally as ``NAME=PATH``.
        output_dir: where to write.
        version, data_dir: the PQPP release and its local copy (see :func:`pqpp.data.load_pqpp`).
        split: the split to score (``test`` for reporting; ``validation`` for selection).
        features: add the linguistic feature baselines (unavailable ones are listed with the reason).
        figures: write the PNG figures (needs matplotlib).
        n_resamples, seed: bootstrap settings for intervals and significance groups.

    Raises:
        FileNotFoundError, PredictionError: a predictions source is missing or does not fit the split,
            reported before anything is scored.
        ValueError: nothing to score.
    """
    release = get_release(version)
    sources = [_named(p) for p in predictions]
    names = [name for name, _ in sources]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"two predictions sources share the name(s) {duplicated}; use NAME=PATH")
    rows = load_pqpp(release.version, data_dir)[split].to_list()
    split_ids = [row["prompt_id"] for row in rows]
    predictors: dict[str, dict[str, np.ndarray]] = {}
    for name, path in sources:  # read and validate everything before scoring anything
        ids, values = read_predictions(path, split)
        predictors[name] = align(ids, values, split_ids, name)
    unavailable: dict[str, str] = {}
    if features:
        table = linguistic_features([row["prompt"] for row in rows])
        unavailable = table.unavailable
        for name, values in table.values.items():
            predictors[name] = dict.fromkeys(TARGETS, values)
    if not predictors:
        raise ValueError("nothing to score: pass predictions or keep the feature baselines")

    board = build_leaderboard(
        rows,
        predictors,
        version=release.version,
        split=split,
        n_resamples=n_resamples,
        seed=seed,
        progress=True,
    )
    board["unavailable_features"] = unavailable
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    markdown = to_markdown(board)
    if unavailable:
        markdown += (
            "\n## Unavailable baselines\n\n"
            + "\n".join(f"- `{n}`: {why}" for n, why in unavailable.items())
            + "\n"
        )
    _write(output / "leaderboard.md", markdown)
    _write(output / "leaderboard.json", json.dumps(board, indent=1, default=float) + "\n")
    if figures:
        from pqpp.benchmark.figures import correlation_chart, scatter_best

        (output / "figures").mkdir(exist_ok=True)
        correlation_chart(board, output / "figures" / "correlations.png")
        truth = {t: [row[t] for row in rows] for t in board["targets"]}
        scatter_best(board, predictors, truth, output / "figures")
    logger.info("wrote %s", output)
    return board
