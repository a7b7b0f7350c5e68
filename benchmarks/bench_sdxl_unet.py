"""SDXL-architecture UNet throughput: batch 1 vs batch N prompts per call, fp16/bf16, eager vs torch.compile.

The UNet is SDXL base 1.0's architecture (2.57 B parameters, configuration written out below) initialised
randomly: weights do not change the compute. Each denoising step of a batch of B prompts runs the UNet on 2B
latents (classifier-free guidance); images/s = B / (steps x time of one UNet call), the UNet's share of a
generation (the text encoders and the VAE decode add a few percent at 50 steps). Meant for a GPU; on a CPU use a
small ``--size`` and ``--dtypes fp32`` to check that it runs.

Usage:
    python benchmarks/bench_sdxl_unet.py [--size 1024] [--batch_sizes 1 4] [--dtypes fp16 bf16] [--compile]
        [--steps 50] [--repeats 10] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

# stabilityai/stable-diffusion-xl-base-1.0, unet/config.json
SDXL_UNET = {
    "sample_size": 128, "in_channels": 4, "out_channels": 4, "layers_per_block": 2,
    "block_out_channels": (320, 640, 1280), "transformer_layers_per_block": (1, 2, 10),
    "attention_head_dim": (5, 10, 20), "cross_attention_dim": 2048, "use_linear_projection": True,
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "addition_embed_type": "text_time", "addition_time_embed_dim": 256, "projection_class_embeddings_input_dim": 2816,
}  # fmt: skip


def time_unet(unet, batch: int, size: int, dtype, device: str, repeats: int) -> float:
    """Seconds per UNet call on ``2 * batch`` latents of ``size`` px (median of ``repeats`` after warm-up)."""
    import torch

    rows, latent = 2 * batch, size // 8
    inputs = {
        "sample": torch.randn(rows, 4, latent, latent, device=device, dtype=dtype),
        "timestep": torch.tensor(500, device=device),
        "encoder_hidden_states": torch.randn(rows, 77, 2048, device=device, dtype=dtype),
        "added_cond_kwargs": {"text_embeds": torch.randn(rows, 1280, device=device, dtype=dtype),
                              "time_ids": torch.tensor([[size, size, 0, 0, size, size]] * rows, device=device, dtype=dtype)},
    }  # fmt: skip
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    times = []
    with torch.inference_mode():
        for i in range(repeats + 2):  # two warm-up calls (the first compiles)
            sync()
            start = time.perf_counter()
            unet(**inputs)
            sync()
            if i >= 2:
                times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1024, help="image size in pixels (latents are size/8)")
    parser.add_argument("--batch_sizes", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--dtypes", nargs="+", default=["fp16", "bf16"], choices=["fp32", "fp16", "bf16"])
    parser.add_argument("--compile", action="store_true", help="also time torch.compile (default mode)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--json", help="also write the rows to this file (rewritten after each row)")
    args = parser.parse_args(argv)
    import torch
    from diffusers import UNet2DConditionModel
    from diffusers.models.attention_processor import AttnProcessor2_0

    from pqpp.dtypes import torch_dtype

    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name() if device == "cuda" else f"CPU ({os.cpu_count()} cores)"
    print(
        f"python {sys.version.split()[0]}, torch {torch.__version__}, {name}, {args.size}px, {args.steps} steps"
    )
    rows = []
    for dtype_name in args.dtypes:
        torch.manual_seed(0)
        unet = UNet2DConditionModel(**SDXL_UNET).to(device, torch_dtype(dtype_name)).eval()
        unet.set_attn_processor(AttnProcessor2_0())
        params = sum(p.numel() for p in unet.parameters()) / 1e9
        for compiled in (False, True) if args.compile else (False,):
            if compiled:
                unet.compile()
            for batch in args.batch_sizes:
                seconds = time_unet(unet, batch, args.size, torch_dtype(dtype_name), device, args.repeats)
                rows.append({"device": name, "dtype": dtype_name, "compiled": compiled, "batch": batch,
                             "unet_call_s": seconds, "images_per_s": batch / (args.steps * seconds)})  # fmt: skip
                base = next(r for r in rows if r["dtype"] == dtype_name and r["compiled"] == compiled)
                print(f"{dtype_name} {'compiled' if compiled else 'eager   '} batch {batch}: UNet call "
                      f"{seconds * 1e3:8.1f} ms, {rows[-1]['images_per_s']:.3f} images/s "
                      f"({rows[-1]['images_per_s'] / base['images_per_s']:.2f}x batch {base['batch']}; "
                      f"{params:.2f} B parameters)")  # fmt: skip
                if args.json:
                    Path(args.json).write_text(json.dumps(rows, indent=1))
        del unet
        if device == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
