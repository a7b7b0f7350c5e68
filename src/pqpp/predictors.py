"""Trained PQPP predictors, for users: load one and score new prompts.

Example:
    >>> from pqpp.predictors import TextPredictor
    >>> predictor = TextPredictor.from_pretrained("runs/minilm")  # doctest: +SKIP
    >>> predictor.predict(["a red bus on a street", "an astronaut riding a horse"])["generation_score"]  # doctest: +SKIP
    array([1.43, 0.87])
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["TextPredictor"]


def _require_train_extra() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as error:
        raise ImportError('predictors need torch and transformers: pip install "pqpp[train]"') from error


class TextPredictor:
    """A text-only performance predictor (a :class:`~pqpp.train.model.TextRegressor` and its tokenizer).

    Args:
        model: the regressor.
        tokenizer: its tokenizer (``model_max_length`` is the training truncation length).
        device: where to run (default: CUDA when available, else CPU).
        batch_size: prompts per forward pass.
    """

    def __init__(self, model: Any, tokenizer: Any, device: str | None = None, batch_size: int = 64) -> None:
        import torch

        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.batch_size = batch_size

    @classmethod
    def from_pretrained(cls, path: str | os.PathLike, **kwargs: Any) -> TextPredictor:
        """Load a predictor saved by ``trainers/train_bert.py`` (a folder or a Hub model id); weights load strictly."""
        _require_train_extra()
        from transformers import AutoTokenizer

        from pqpp.train.model import TextRegressor

        model = TextRegressor.from_pretrained(str(path), strict=True)
        return cls(model, AutoTokenizer.from_pretrained(str(path)), **kwargs)

    @property
    def targets(self) -> list[str]:
        return list(self.model.targets)

    def predict(self, prompts: Sequence[str]) -> dict[str, np.ndarray]:
        """Predicted scores on each target's original scale: ``{target: array of len(prompts)}``.

        Raises:
            ValueError: ``prompts`` is a single string or holds a non-string.
        """
        import torch

        if isinstance(prompts, str):
            raise ValueError("prompts must be a list of strings, not one string")
        prompts = list(prompts)
        for index, prompt in enumerate(prompts):
            if not isinstance(prompt, str):
                raise ValueError(f"prompts[{index}] is not a string: {prompt!r}")
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(prompts), self.batch_size):
                batch = self.tokenizer(
                    prompts[start : start + self.batch_size],
                    padding=True,
                    truncation=True,
                    return_tensors="pt",
                ).to(self.device)
                outputs.append(self.model.denormalize(self.model(**batch)).cpu().numpy())
        values = np.concatenate(outputs) if outputs else np.empty((0, len(self.targets)))
        return {target: values[:, i].astype(np.float64) for i, target in enumerate(self.targets)}
