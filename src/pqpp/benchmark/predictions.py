"""Collecting predictions for the leaderboard and aligning them with a split.

A predictions file is a CSV or Parquet table with a ``prompt_id`` column and one column per target (the
format the trainers write to ``predictions/test.csv``). A trainer output folder is read through its
``predictions/<split>.csv``. Ids are checked against the split: unknown, missing or duplicated ids are an
error that lists a few of them.

Example:
    >>> import numpy as np
    >>> align(["b", "a"], {"clip_rr": np.array([0.2, 0.1])}, ["a", "b"], "mine")["clip_rr"].tolist()
    [0.1, 0.2]
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pqpp.data.schema import TARGETS
from pqpp.stats.inputs import as_vector

__all__ = ["PredictionError", "align", "read_predictions"]

_SHOW = 5


class PredictionError(ValueError):
    """A predictions table does not fit the split it is scored on."""


def _few(items: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in list(items)[:_SHOW])
    return shown + (f" … ({len(items)} in all)" if len(items) > _SHOW else "")


def read_predictions(path: str | os.PathLike, split: str = "test") -> tuple[list[str], dict[str, np.ndarray]]:
    """``(prompt_ids, {target: values})`` from a CSV/Parquet file or a trainer output folder.

    Columns other than ``prompt_id`` and the nine targets are ignored.

    Raises:
        FileNotFoundError: no such file, or a folder without ``predictions/<split>.csv``.
        PredictionError: no ``prompt_id`` column, no target column, or a non-numeric value.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "predictions" / f"{split}.csv"
    if not path.is_file():
        raise FileNotFoundError(f"no predictions at {str(path)!r}")
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path).to_pydict()
    else:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        table = {name: [row[name] for row in rows] for name in (rows[0] if rows else {})}
    if "prompt_id" not in table:
        raise PredictionError(f"{path}: no 'prompt_id' column (columns: {list(table)})")
    targets = [name for name in table if name in TARGETS]
    if not targets:
        raise PredictionError(f"{path}: no target column; expected some of {list(TARGETS)}")
    values = {}
    for name in targets:
        try:
            values[name] = as_vector([float(v) for v in table[name]], f"{path.name}:{name}")
        except (TypeError, ValueError) as error:
            raise PredictionError(f"{path}: column {name!r}: {error}") from None
    return [str(i) for i in table["prompt_id"]], values


def align(
    ids: Sequence[str], values: dict[str, np.ndarray], split_ids: Sequence[str], name: str
) -> dict[str, np.ndarray]:
    """Reorder ``values`` to ``split_ids``; every split prompt exactly once, nothing else.

    Raises:
        PredictionError: duplicated, unknown or missing prompt ids (a few of each are named).
    """
    duplicated = [i for i, n in Counter(ids).items() if n > 1]
    if duplicated:
        raise PredictionError(f"{name}: duplicated prompt ids: {_few(duplicated)}")
    position = {prompt_id: index for index, prompt_id in enumerate(ids)}
    wanted = set(split_ids)
    unknown = [i for i in ids if i not in wanted]
    if unknown:
        raise PredictionError(f"{name}: prompt ids not in the split: {_few(unknown)}")
    missing = [i for i in split_ids if i not in position]
    if missing:
        raise PredictionError(f"{name}: no prediction for prompt ids: {_few(missing)}")
    order = np.array([position[i] for i in split_ids])
    return {target: array[order] for target, array in values.items()}
