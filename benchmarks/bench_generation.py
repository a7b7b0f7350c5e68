"""Generation throughput: our batched generator vs one plain diffusers call per prompt, same pipeline.

Both draw the same prompts with the same per-image seeds on the tiny random Stable Diffusion pipeline
(or ``--model_id``); ours batches ``--batch_size`` prompts per call and writes PNGs and the manifest, the
baseline calls the pipeline once per image and keeps the images in memory.

Usage:
    python benchmarks/bench_generation.py --images 64 [--batch_size 8] [--model_id PATH --steps 20 --size 512]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--batch_size", type=int, default=8)
    parser.add_argument("--model_id", help="default: a tiny random pipeline built here")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--dtype", default="fp32", choices=["fp32", "fp16", "bf16"])
    args = parser.parse_args(argv)
    import torch
    from diffusers import AutoPipelineForText2Image

    from pqpp.dtypes import torch_dtype
    from pqpp.generation import pipeline
    from pqpp.generation.tiny import save_tiny_stable_diffusion

    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name() if device == "cuda" else f"CPU ({os.cpu_count()} cores)"
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, {name}")
    with tempfile.TemporaryDirectory() as work:
        model = args.model_id or str(save_tiny_stable_diffusion(Path(work) / "tiny"))
        prompts = Path(work) / "prompts.txt"
        prompts.write_text("\n".join(f"a photo of scene {i}" for i in range(args.images)) + "\n")
        common = ["--model_id", model, "--steps", str(args.steps), "--height", str(args.size), "--width",
                  str(args.size), "--dtype", args.dtype, "--prompts_file", str(prompts), "--images_per_prompt", "1"]  # fmt: skip
        start = time.perf_counter()
        pipeline.main(
            [*common, "--output_dir", str(Path(work) / "ours"), "--batch_size", str(args.batch_size)]
        )
        ours = args.images / (time.perf_counter() - start)

        dtype = torch_dtype(args.dtype)
        plain = AutoPipelineForText2Image.from_pretrained(model, torch_dtype=dtype).to(device)
        plain.set_progress_bar_config(disable=True)
        start = time.perf_counter()
        for i in range(args.images):
            generator = torch.Generator("cpu").manual_seed(pipeline.image_seed(0, str(i), 0))
            plain(f"a photo of scene {i}", num_inference_steps=args.steps, height=args.size, width=args.size,
                  generator=generator)  # fmt: skip
        baseline = args.images / (time.perf_counter() - start)
    print(
        f"{args.images} images, {args.steps} steps, {args.size}px, batch {args.batch_size}, {args.dtype}, {device}"
    )
    print(f"images/s: ours {ours:.2f} (incl. model load, PNG + manifest writes), per-prompt calls {baseline:.2f} "
          f"(model loaded beforehand), ratio {ours / baseline:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
