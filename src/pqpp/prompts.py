"""Prompts from a user's file, for the commands that accept one (``pqpp predict``, ``generate.py``)."""

from __future__ import annotations

import csv
import os
from pathlib import Path

__all__ = ["read_prompt_file"]


def read_prompt_file(path: str | os.PathLike) -> list[dict[str, str]]:
    """``[{"prompt_id", "prompt"}, ...]`` from a ``.txt`` (one prompt per line, blank lines skipped, ids are
    line numbers among the prompts) or a ``.csv`` with a ``prompt`` column and optionally ``prompt_id``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: a CSV without a ``prompt`` column.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"prompts file {str(path)!r} does not exist")
    if path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        if not rows or "prompt" not in rows[0]:
            raise ValueError(f"{path}: a CSV input needs a 'prompt' column (and optionally 'prompt_id')")
        return [
            {"prompt_id": row.get("prompt_id") or str(i), "prompt": row["prompt"]}
            for i, row in enumerate(rows)
        ]
    prompts = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"prompt_id": str(i), "prompt": prompt} for i, prompt in enumerate(prompts)]
