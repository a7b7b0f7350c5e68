"""Text and image encoders for retrieval, in a registry.

An encoder maps images and texts to L2-normalised embeddings and scores texts against images by cosine
similarity. ``open_clip`` covers the paper's CLIP (``ViT-B-32`` / ``openai``) and any open_clip model
name with a pretrained tag or a local checkpoint; ``blip2`` the paper's BLIP-2 (best query token against the
text, through transformers). Loading real weights needs the network (or a local
checkpoint); tests build tiny random models from configs.

Example:
    >>> sorted(ENCODERS)
    ['blip2', 'open_clip']
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


class Blip2Encoder:
    """BLIP-2's feature extractor, scored as the paper does: each image is its query tokens' embeddings
    (``(num_query_tokens, dim)``, normalised) and an image's score for a text is the best of its query
    tokens against the text embedding (the image-text contrastive head of ``Blip2ForImageTextRetrieval``).

    Args:
        model_name: a ``Blip2ForImageTextRetrieval`` checkpoint (Hub id or folder) with its image processor
            and tokenizer (default: ``Salesforce/blip2-itm-vit-g``).
        device, precision: as for :class:`OpenClipEncoder` (the Q-Former stays in fp32, as transformers keeps it).
    """

    kind = "blip2"

    def __init__(
        self,
        model_name: str = "Salesforce/blip2-itm-vit-g",
        pretrained: str | None = None,
        device: str = "cpu",
        precision: str = "fp32",
        seed: int = 0,
    ) -> None:
        transformers = _require("transformers")
        from pqpp.dtypes import torch_dtype

        dtype = torch_dtype(precision)
        self.model = (
            transformers.Blip2ForImageTextRetrieval.from_pretrained(model_name, dtype=dtype).to(device).eval()
        )
        processor = transformers.AutoImageProcessor.from_pretrained(model_name)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(model_name)
        self.transform = lambda image: processor(images=image, return_tensors="pt")["pixel_values"][0]
        self.device = device
        revision = getattr(self.model.config, "_commit_hash", None) or "local"
        self.identity = f"blip2/{model_name}/{revision}/{precision}"

    def encode_images(self, pixels: Any) -> Any:
        import torch

        model = self.model
        with torch.inference_mode():
            vision = model.vision_model(pixel_values=pixels.to(self.device, dtype=model.vision_model.dtype))[
                0
            ]
            mask = torch.ones(vision.shape[:-1], dtype=torch.long, device=vision.device)
            queries = model.query_tokens.expand(vision.shape[0], -1, -1)
            tokens = model.qformer(
                query_embeds=queries, encoder_hidden_states=vision, encoder_attention_mask=mask
            )[0]
            features = model.vision_projection(tokens.to(model.vision_projection.weight.dtype))
        return torch.nn.functional.normalize(features.float(), dim=-1)

    def encode_texts(self, texts: list[str]) -> Any:
        import torch

        model = self.model
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=35, return_tensors="pt").to(
            self.device
        )
        with torch.inference_mode():
            embedded = model.embeddings(input_ids=batch["input_ids"])
            hidden = model.qformer(
                query_embeds=embedded, query_length=0, attention_mask=batch["attention_mask"]
            )[0]
            features = model.text_projection(hidden[:, 0, :].to(model.text_projection.weight.dtype))
        return torch.nn.functional.normalize(features.float(), dim=-1)


ENCODERS = {"open_clip": OpenClipEncoder, "blip2": Blip2Encoder}


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
