"""``generation/generate.py``: draw PQPP's prompts with a diffusers model — deterministic and resumable.

* Every image's seed derives from (base seed, prompt id, image index) — never from its batch position —
  so the same image comes out whatever the batch size or process count.
* Output: the upstream archive layout (``<coco image id>/image_<slot>.png``; DrawBench prompts under
  ``drawbench/<index>/``), or a flat layout (``<prompt_id>/<index>.png``); plus ``manifest.jsonl``, one JSON
  line per image (prompt id, model, revision, seed, steps, guidance, size, file, sha256).
* Writes are atomic; a rerun skips images already in the manifest whose file still has that checksum and
  redoes the others; an existing file that the manifest does not vouch for is never overwritten.
* ``accelerate launch`` splits the prompts across processes; each process keeps its own manifest part.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pqpp.data.arguments import add_data_arguments
from pqpp.data.images import archive_folder
from pqpp.data.registry import SPLITS
from pqpp.data.sources import sha256_of
from pqpp.dtypes import DTYPES, torch_dtype
from pqpp.generation.specs import GENERATORS, GeneratorSpec, get_generator
from pqpp.prompts import read_prompt_file

__all__ = ["image_seed", "main", "parse_args"]

logger = logging.getLogger(__name__)
MANIFEST = "manifest"


def image_seed(base_seed: int, prompt_id: str, index: int) -> int:
    """The seed of image ``index`` of ``prompt_id``: 63 bits of sha256 over the three, stable everywhere.

    Example:
        >>> image_seed(0, "coco-1", 0) == image_seed(0, "coco-1", 0) != image_seed(0, "coco-1", 1)
        True
    """
    digest = hashlib.sha256(f"{base_seed}/{prompt_id}/{index}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="generate.py",
        description="Generate images for PQPP prompts with a diffusers text-to-image model, deterministically "
        "(seed per prompt and image) and resumably, in the upstream archive layout or a flat one.",
        epilog="example: accelerate launch generation/generate.py --generator sdxl --output_dir images/sdxl",
    )
    parser.add_argument("--generator", help=f"registered generator: {sorted(GENERATORS)}")
    parser.add_argument("--model_id", help="any diffusers text-to-image pipeline (Hub id or folder) instead")
    parser.add_argument("--revision")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--guidance", type=float)
    parser.add_argument("--height", type=int)
    parser.add_argument("--width", type=int)
    parser.add_argument("--scheduler", help="diffusers scheduler class, e.g. EulerDiscreteScheduler")
    parser.add_argument("--dtype", choices=DTYPES)
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--layout", choices=["archive", "flat"], default="flat")
    parser.add_argument("--slots", type=int, nargs="+", help="archive file numbers (SDXL: 4 5, GLIDE: 7 8)")
    parser.add_argument("--images_per_prompt", type=int, default=2)
    parser.add_argument("--prompts_file", help=".txt (one prompt per line) or .csv (prompt_id, prompt)")
    add_data_arguments(parser)
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=SPLITS)
    parser.add_argument("--limit", type=int, help="first N prompts only")
    parser.add_argument("--seed", type=int, default=0, help="base seed")
    parser.add_argument("--batch_size", type=int, default=4, help="prompts per pipeline call")
    parser.add_argument("--compile", action="store_true", help="torch.compile the denoiser")
    parser.add_argument("--cpu_offload", action="store_true", help="model CPU offload (saves GPU memory)")
    return parser.parse_args(argv)


def _spec(args: argparse.Namespace) -> GeneratorSpec:
    if bool(args.generator) == bool(args.model_id):
        raise ValueError(
            "pass exactly one of --generator (a registered name) or --model_id (any diffusers model)"
        )
    base = get_generator(args.generator) if args.generator else None
    values = base.as_dict() if base else {"model_id": args.model_id, "steps": 50, "guidance": 7.5, "height": 512,
                                           "width": 512, "scheduler": None, "dtype": "fp16", "slots": (), "revision": None}  # fmt: skip
    for name in ("revision", "steps", "guidance", "height", "width", "scheduler", "dtype"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.slots:
        values["slots"] = tuple(args.slots)
    spec = GeneratorSpec(**values)
    if spec.scheduler:
        try:
            import diffusers
        except ImportError as error:
            raise ImportError('generation needs diffusers: pip install "pqpp[generation]"') from error
        if not hasattr(diffusers, spec.scheduler):
            raise ValueError(f"unknown diffusers scheduler {spec.scheduler!r}")
    return spec


def _prompts(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.prompts_file:
        rows = read_prompt_file(args.prompts_file)
    else:
        from pqpp.data import load_pqpp

        data = load_pqpp(args.dataset_version, args.data_dir, config="generation")
        rows = [row for split in args.splits for row in data[split].to_list()]
    rows = rows[: args.limit] if args.limit else rows
    if not rows:
        raise ValueError("no prompts to generate")
    return rows


def _relative_path(row: dict[str, Any], index: int, spec: GeneratorSpec, layout: str) -> str:
    if layout == "flat":
        return f"{row['prompt_id']}/{index}.png"
    return f"{archive_folder(row)}/image_{spec.slots[index]}.png"


def _manifest(output: Path) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Entries whose files still hold the recorded bytes (by file), and every file any entry names."""
    done, known = {}, set()
    for part in sorted(output.glob(f"{MANIFEST}*.jsonl")):
        for line in part.read_text().splitlines():
            entry = json.loads(line)
            known.add(entry["file"])
            path = output / entry["file"]
            if path.is_file() and sha256_of(path) == entry["sha256"]:
                done[entry["file"]] = entry
    return done, known


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    spec = _spec(args)  # unknown model key or bad size: before anything is loaded
    if args.layout == "archive" and len(spec.slots) < args.images_per_prompt:
        raise ValueError(f"the archive layout needs {args.images_per_prompt} --slots, got {list(spec.slots)}")
    rows = _prompts(args)

    import torch
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env
    from tqdm.auto import tqdm

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    # As Accelerator does: ACCELERATE_USE_CPU (set by `accelerate launch --cpu`) selects CPU processes (gloo).
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    done, known = _manifest(output)
    jobs = [
        (row, i, _relative_path(row, i, spec, args.layout))
        for row in rows
        for i in range(args.images_per_prompt)
    ]
    todo = [job for job in jobs if job[2] not in done]
    # A file the manifest names but whose bytes differ is a partial write: redo it. A file it never named is
    # someone else's: never overwrite it.
    stray = [path for _, _, path in todo if (output / path).exists() and path not in known]
    if stray:
        raise FileExistsError(
            f"{len(stray)} image file(s) exist without a matching manifest entry (e.g. {stray[:3]}): "
            "refusing to overwrite them; move them away or use another --output_dir"
        )
    written: list[dict[str, Any]] = []
    with state.split_between_processes(todo) as mine:
        if not mine:
            return written
        pipe = _load_pipeline(spec, str(state.device), args.compile, args.cpu_offload)
        part = output / f"{MANIFEST}-{state.process_index:03d}.jsonl"
        bar = tqdm(total=len(mine), desc="generating", unit="img", disable=not state.is_local_main_process)
        with part.open("a") as manifest:
            for start in range(0, len(mine), args.batch_size):
                batch = mine[start : start + args.batch_size]
                seeds = [image_seed(args.seed, row["prompt_id"], i) for row, i, _ in batch]
                generators = [torch.Generator("cpu").manual_seed(s) for s in seeds]
                result = pipe(
                    [row["prompt"] for row, _, _ in batch],
                    num_inference_steps=spec.steps,
                    guidance_scale=spec.guidance,
                    height=spec.height,
                    width=spec.width,
                    generator=generators,
                )
                flagged = getattr(result, "nsfw_content_detected", None) or [None] * len(batch)
                for (row, i, path), image, seed, nsfw in zip(
                    batch, result.images, seeds, flagged, strict=True
                ):
                    target = output / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    tmp = target.with_name(target.name + ".tmp")
                    image.save(tmp, format="PNG")
                    entry = {
                        "prompt_id": row["prompt_id"], "model": spec.model_id, "revision": spec.revision,
                        "seed": seed, "index": i, "steps": spec.steps, "guidance": spec.guidance,
                        "size": [spec.height, spec.width], "scheduler": spec.scheduler, "dtype": spec.dtype,
                        "file": path, "sha256": sha256_of(tmp), "nsfw_flagged": nsfw,
                    }  # fmt: skip
                    # Record first, then move into place: a killed run never leaves an image the manifest
                    # does not name (a recorded image that is missing or different is simply redone).
                    manifest.write(json.dumps(entry) + "\n")
                    manifest.flush()
                    os.fsync(manifest.fileno())
                    tmp.replace(target)
                    written.append(entry)
                bar.update(len(batch))
        bar.close()
    return written


def _load_pipeline(spec: GeneratorSpec, device: str, compile_: bool, cpu_offload: bool) -> Any:
    try:
        import diffusers
        import torch
    except ImportError as error:
        raise ImportError('generation needs diffusers: pip install "pqpp[generation]"') from error
    dtype = torch_dtype(spec.dtype)
    if device == "cpu" and dtype == torch.float16:
        dtype = torch.float32  # fp16 kernels are missing or slow on CPU
    pipe = diffusers.AutoPipelineForText2Image.from_pretrained(
        spec.model_id, torch_dtype=dtype, revision=spec.revision
    )
    if spec.scheduler:
        pipe.scheduler = getattr(diffusers, spec.scheduler).from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    if cpu_offload:
        pipe.enable_model_cpu_offload()
    else:
        pipe = pipe.to(device)
    denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    if denoiser is not None and hasattr(denoiser, "set_attn_processor"):
        from diffusers.models.attention_processor import AttnProcessor2_0

        denoiser.set_attn_processor(AttnProcessor2_0())  # PyTorch SDPA
    if compile_ and denoiser is not None:
        denoiser.compile()
    return pipe
