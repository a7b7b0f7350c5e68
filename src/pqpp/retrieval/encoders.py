"""Text and image encoders for retrieval, in a registry.

An encoder maps images and texts to L2-normalised embeddings and scores texts against images by cosine
similarity. ``open_clip`` covers the paper's CLIP (``ViT-B-32`` / ``openai``) and any open_clip model
name with a pretrained tag or a local checkpoint. Loading real weights needs the network (or a local
checkpoint); tests build tiny random models from configs.

Example:
    >>> sorted(ENCODERS)
    ['open_clip']
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

__all__ = ["ENCODERS", "OpenClipEncoder", "create_encoder"]


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f'retrieval needs {module}: pip install "pqpp[retrieval]"') from error


class OpenClipEncoder:
    """An open_clip model (default: the paper's CLIP, ``ViT-B-32`` with OpenAI's weights).

    Args:
        model_name: an open_clip model name (``open_clip.list_models()``).
        pretrained: a pretrained tag (``openai``, ``laion2b_s34b_b79k`` …), a local checkpoint file, or
            ``None`` for random weights drawn from ``seed`` (a reproducible random baseline; tests).
        device: ``cpu``, ``cuda`` …
        precision: ``fp32``, ``fp16`` or ``bf16`` (the model's weights and activations).
    """

    kind = "open_clip"

    def __init__(
        self,
        model_name: str = "ViT-B-32",
        pretrained: str | None = "openai",
        device: str = "cpu",
        precision: str = "fp32",
        seed: int = 0,
    ) -> None:
        open_clip = _require("open_clip")
        import torch

        if model_name not in open_clip.list_models():
            raise ValueError(f"unknown open_clip model {model_name!r}; see open_clip.list_models()")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # random weights (pretrained=None) are then the same in every process
            self.model, _, self.transform = open_clip.create_model_and_transforms(
                model_name, pretrained=pretrained, device=device, precision=precision
            )
        self.model.eval()
        self.tokenizer = open_clip.get_tokenizer(model_name)
        self.device = device
        weights = pretrained or f"random-seed{seed}"
        if pretrained and Path(pretrained).is_file():  # a local checkpoint: its bytes are its identity
            weights = hashlib.sha256(Path(pretrained).read_bytes()).hexdigest()[:16]
        self.identity = f"open_clip/{model_name}/{weights}/{precision}"

    def encode_images(self, pixels: Any) -> Any:
        import torch

        with torch.inference_mode():
            features = self.model.encode_image(
                pixels.to(self.device, dtype=next(self.model.parameters()).dtype)
            )
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def encode_texts(self, texts: list[str]) -> Any:
        import torch

        with torch.inference_mode():
            features = self.model.encode_text(self.tokenizer(texts).to(self.device))
        return torch.nn.functional.normalize(features.float(), dim=-1)


ENCODERS = {"open_clip": OpenClipEncoder}


def create_encoder(kind: str, **kwargs: Any) -> Any:
    """An encoder from the registry.

    Raises:
        ValueError: an unknown kind, naming the registered ones.
    """
    try:
        factory = ENCODERS[kind]
    except KeyError:
        raise ValueError(f"unknown encoder {kind!r}; registered: {sorted(ENCODERS)}") from None
    return factory(**kwargs)


def cache_key(identity: str) -> str:
    """A folder name for an encoder identity: readable, and unique through a hash prefix."""
    return hashlib.sha256(identity.encode()).hexdigest()[:16] + "-" + identity.replace("/", "_")
