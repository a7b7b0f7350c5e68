"""A tiny random Stable Diffusion pipeline built from configs, for tests and benchmarks (no download).

Example:
    >>> path = save_tiny_stable_diffusion("/tmp/tiny-sd")  # doctest: +SKIP
    >>> diffusers.StableDiffusionPipeline.from_pretrained(path)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["save_tiny_stable_diffusion"]


def save_tiny_stable_diffusion(
    root: str | os.PathLike, seed: int = 0, safety_threshold: float | None = None
) -> Path:
    """Save a 2-block UNet, a 2-block VAE, a 2-layer CLIP text encoder and a 54-token CLIP tokenizer (letters
    only) under ``root/pipeline`` and return that folder.

    Args:
        safety_threshold: ``None``: no safety checker. Otherwise a tiny random one whose every concept threshold
            is this value (an image is flagged when a cosine similarity exceeds it: -1.5 flags every image,
            1.5 none).
    """
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for c in "abcdefghijklmnopqrstuvwxyz":
        vocab[c] = len(vocab)
        vocab[c + "</w>"] = len(vocab)
    (root / "vocab.json").write_text(json.dumps(vocab))
    (root / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(root / "vocab.json"), str(root / "merges.txt"), model_max_length=16)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"), up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32, norm_num_groups=8, attention_head_dim=8,
    )  # fmt: skip
    vae = AutoencoderKL(
        block_out_channels=(32, 64), in_channels=3, out_channels=3, latent_channels=4, norm_num_groups=8,
        down_block_types=("DownEncoderBlock2D",) * 2, up_block_types=("UpDecoderBlock2D",) * 2,
    )  # fmt: skip
    text = CLIPTextModel(CLIPTextConfig(
        bos_token_id=0, eos_token_id=1, pad_token_id=1, hidden_size=32, intermediate_size=37, num_attention_heads=4,
        num_hidden_layers=2, vocab_size=len(vocab), max_position_embeddings=16,
    ))  # fmt: skip
    checker, extractor = (None, None) if safety_threshold is None else _tiny_safety_checker(safety_threshold)
    pipe = StableDiffusionPipeline(
        vae=vae, text_encoder=text, tokenizer=tokenizer, unet=unet,
        scheduler=DDIMScheduler(clip_sample=False, steps_offset=1), safety_checker=checker,
        feature_extractor=extractor, requires_safety_checker=False,
    )  # fmt: skip
    pipe.save_pretrained(root / "pipeline")
    return root / "pipeline"


def _tiny_safety_checker(threshold: float) -> tuple:
    """Diffusers' Stable Diffusion safety checker on a 1-layer 32 px CLIP vision tower, and its feature extractor."""
    import torch
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from transformers import CLIPConfig, CLIPImageProcessor

    config = CLIPConfig(
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 1,
                       "image_size": 32, "patch_size": 8},
        text_config={"hidden_size": 32, "intermediate_size": 37, "num_attention_heads": 4, "num_hidden_layers": 1},
        projection_dim=16,
    )  # fmt: skip
    checker = StableDiffusionSafetyChecker(config).eval()
    with torch.no_grad():
        checker.concept_embeds_weights.fill_(threshold)
        checker.special_care_embeds_weights.fill_(threshold)
    extractor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    return checker, extractor
