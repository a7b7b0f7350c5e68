"""PQPP splits for training, from the dataset builder, tokenised."""

from __future__ import annotations

from typing import Any

import datasets
import numpy as np

from pqpp.train.targets import normalization

__all__ = ["tokenize_splits", "training_normalization"]


def tokenize_splits(
    splits: datasets.DatasetDict,
    tokenizer: Any,
    targets: list[str],
    norm: dict[str, list[float]],
    max_length: int,
) -> datasets.DatasetDict:
    """``input_ids``/``attention_mask`` (and ``token_type_ids``) plus ``labels``: the normalised targets."""
    shift = np.array([norm[t][0] for t in targets])
    scale = np.array([norm[t][1] for t in targets])

    def encode(batch: dict[str, list]) -> dict[str, Any]:
        encoded = tokenizer(batch["prompt"], truncation=True, max_length=max_length)
        values = np.stack([np.asarray(batch[t], dtype=np.float64) for t in targets], axis=1)
        encoded["labels"] = ((values - shift) / scale).astype(np.float32).tolist()
        return encoded

    columns = splits["train"].column_names
    return splits.map(encode, batched=True, remove_columns=columns, desc="tokenising")


def training_normalization(
    kind: str, splits: datasets.DatasetDict, targets: list[str]
) -> dict[str, list[float]]:
    """The normalisation of ``kind``, estimated on the training split only."""
    train = {t: splits["train"][t] for t in targets} if kind == "standardize" else None
    return normalization(kind, targets, train)
