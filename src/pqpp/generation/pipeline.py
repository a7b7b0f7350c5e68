"""``generation/generate.py``: draw PQPP's prompts with a diffusers model or GLIDE — deterministic and resumable.

* Every image's seed derives from (base seed, prompt id, image index) — never from its batch position — and
  every pipeline call has the same shape (a short last batch is padded), so with a given ``--batch_size`` an
  image is byte-identical whatever the process count, prompt order or resume point. Other batch sizes give
  the same images up to float rounding in batched products (at most one grey level apart in our tests).
* Output: the upstream archive layout (``<coco image id>/image_<slot>.png``; DrawBench prompts under
  ``drawbench/<index>/``), or a flat layout (``<prompt_id>/<index>.png``); plus ``manifest.jsonl``, one JSON
  line per image (prompt id, model, revision, seed, steps, guidance, size, batch size, backend, safety flag,
  file, sha256).
* Writes are atomic; a rerun skips images already in the manifest whose file still has that checksum and
  redoes the others; an existing file that the manifest does not vouch for is never overwritten.
* ``accelerate launch`` splits the prompts across processes; each appends to its own manifest part while it
  runs, and the main process folds the parts into ``manifest.jsonl`` at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pqpp.data.arguments import add_data_arguments
from pqpp.data.images import archive_folder
from pqpp.data.registry import SPLITS
from pqpp.data.schema import SOURCES
from pqpp.data.sources import sha256_of
from pqpp.dtypes import DTYPES
from pqpp.generation.diffusers_drawer import SAFETY_MODES, import_diffusers
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
        description="Generate images for PQPP prompts with a diffusers text-to-image model or GLIDE, "
        "deterministically (seed per prompt and image) and resumably, in the upstream archive layout or a flat one.",
        epilog="example: accelerate launch generation/generate.py --generator sdxl --layout archive --output_dir "
        "images. GLIDE (--generator glide) needs OpenAI's glide_text2im, which is not on PyPI: pip install "
        "git+https://github.com/openai/glide-text2im",
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
    parser.add_argument("--sources", nargs="+", default=list(SOURCES), choices=SOURCES, help="prompt sources")
    parser.add_argument("--limit", type=int, help="first N prompts only")
    parser.add_argument("--seed", type=int, default=0, help="base seed")
    parser.add_argument("--batch_size", type=int, default=4, help="prompts per pipeline call")
    parser.add_argument("--compile", action="store_true", help="torch.compile the denoiser")
    parser.add_argument("--cpu_offload", action="store_true", help="model CPU offload (saves GPU memory)")
    parser.add_argument(
        "--safety_checker",
        choices=SAFETY_MODES,
        default="record",
        help="pipelines with a safety checker (SD 1.x/2.x): record its verdict in the manifest and keep the image "
        "(record), let the pipeline black out flagged images, still recorded (blank), or skip it (off)",
    )
    parser.add_argument(
        "--glide_checkpoints", help="folder with GLIDE's base.pt and upsample.pt (default: $PQPP_CACHE/glide)"
    )
    return parser.parse_args(argv)


def _spec(args: argparse.Namespace) -> GeneratorSpec:
    if bool(args.generator) == bool(args.model_id):
        raise ValueError(
            "pass exactly one of --generator (a registered name) or --model_id (any diffusers model)"
        )
    base = get_generator(args.generator) if args.generator else None
    # --model_id: the fields GeneratorSpec has no default for; the rest keep its defaults unless given
    values = base.as_dict() if base else {"model_id": args.model_id, "steps": 50, "guidance": 7.5, "height": 512,
                                           "width": 512}  # fmt: skip
    for name in ("revision", "steps", "guidance", "height", "width", "scheduler", "dtype"):
        if getattr(args, name) is not None:
            values[name] = getattr(args, name)
    if args.slots:
        values["slots"] = tuple(args.slots)
    spec = GeneratorSpec(**values)
    if spec.scheduler and not hasattr(import_diffusers(), spec.scheduler):
        raise ValueError(f"unknown diffusers scheduler {spec.scheduler!r}")
    return spec


def _prompts(args: argparse.Namespace) -> list[dict[str, Any]]:
    if args.prompts_file:
        rows = read_prompt_file(args.prompts_file)
    else:
        from pqpp.data import load_pqpp

        data = load_pqpp(args.dataset_version, args.data_dir, config="generation")
        rows = [
            row for split in args.splits for row in data[split].to_list() if row["source"] in args.sources
        ]
    rows = rows[: args.limit] if args.limit else rows
    if not rows:
        raise ValueError("no prompts to generate")
    _check_rows(rows, args.layout)
    return rows


def _check_rows(rows: list[dict[str, Any]], layout: str) -> None:
    """Ids that name one folder each (unique, no path tricks), non-empty prompts, and what the layout needs."""
    counts = Counter(str(row["prompt_id"]) for row in rows)
    repeated = [i for i, n in counts.items() if n > 1]
    if repeated:
        raise ValueError(f"{len(repeated)} prompt id(s) appear more than once, e.g. {repeated[:3]}")
    unsafe = [i for i in counts if not i or i in {".", ".."} or "/" in i or "\\" in i]
    if unsafe:
        raise ValueError(f"prompt ids must be usable as folder names, got {unsafe[:3]}")
    empty = [str(row["prompt_id"]) for row in rows if not str(row["prompt"]).strip()]
    if empty:
        raise ValueError(f"{len(empty)} empty prompt(s), e.g. ids {empty[:3]}")
    if layout == "archive" and "source" not in rows[0]:
        raise ValueError(
            "the archive layout names folders by COCO image id: it needs dataset prompts, not a file"
        )


def _relative_path(row: dict[str, Any], index: int, spec: GeneratorSpec, layout: str) -> str:
    if layout == "flat":
        return f"{row['prompt_id']}/{index}.png"
    return f"{archive_folder(row)}/image_{spec.slots[index]}.png"


def _manifest(output: Path) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Entries whose files still hold the recorded bytes (by file), and every file any entry names.

    ``manifest.jsonl`` is read first, then the parts of unfinished runs, so a later entry wins. A part's line
    cut short by a kill while it was written is skipped with a warning: its image is not vouched for.
    """
    done, known = {}, set()
    files = [output / f"{MANIFEST}.jsonl", *sorted(output.glob(f"{MANIFEST}-*.jsonl"))]
    for part in (f for f in files if f.is_file()):
        for number, line in enumerate(part.read_text().splitlines(), 1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                if part == files[0]:  # written whole by _consolidate: damage is not ours to skip
                    raise ValueError(f"{part}, line {number}: not a manifest entry: {line[:80]!r}") from None
                logger.warning("%s, line %d: cut short by an interrupted run; ignored", part, number)
                continue
            known.add(entry["file"])
            path = output / entry["file"]
            if path.is_file() and sha256_of(path) == entry["sha256"]:
                done[entry["file"]] = entry
    return done, known


def main(argv: Sequence[str] | None = None) -> list[dict[str, Any]]:
    args = parse_args(argv)
    spec = _spec(args)  # unknown model key or bad size: before anything is loaded
    for name in ("batch_size", "images_per_prompt"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be at least 1, got {getattr(args, name)}")
    if args.layout == "archive" and len(spec.slots) < args.images_per_prompt:
        raise ValueError(f"the archive layout needs {args.images_per_prompt} --slots, got {list(spec.slots)}")
    if spec.backend == "glide":
        from pqpp.generation.glide import require_glide

        require_glide()
        if args.cpu_offload:
            raise ValueError("--cpu_offload is for diffusers pipelines; GLIDE's models fit on one GPU")
    rows = _prompts(args)

    from accelerate import PartialState
    from accelerate.utils import broadcast_object_list, parse_flag_from_env
    from tqdm.auto import tqdm

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    # As Accelerator does: ACCELERATE_USE_CPU (set by `accelerate launch --cpu`) selects CPU processes (gloo).
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    # The main process checks the existing images once (checksums) and tells the others.
    checked = [_manifest(output) if state.is_main_process else None]
    done, known = broadcast_object_list(checked)[0]
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
        if mine:
            from pqpp.generation.drawing import load_drawer

            draw = load_drawer(spec, str(state.device), compile_=args.compile, cpu_offload=args.cpu_offload,
                               safety_checker=args.safety_checker, cache_dir=args.glide_checkpoints)  # fmt: skip
            part = output / f"{MANIFEST}-{state.process_index:03d}.jsonl"
            bar = tqdm(
                total=len(mine), desc="generating", unit="img", disable=not state.is_local_main_process
            )
            with part.open("a") as log:
                if log.tell() and not part.read_bytes().endswith(b"\n"):
                    log.write("\n")  # end a line a killed run cut short, so the next entry starts clean
                for start in range(0, len(mine), args.batch_size):
                    batch = mine[start : start + args.batch_size]
                    written += _draw_batch(batch, draw, spec, args, output, log)
                    bar.update(len(batch))
            bar.close()
    state.wait_for_everyone()
    if state.is_main_process:
        _consolidate(output)
    return written


def _draw_batch(
    batch: list[tuple[dict[str, Any], int, str]],
    draw: Any,
    spec: GeneratorSpec,
    args: argparse.Namespace,
    output: Path,
    log: Any,
) -> list[dict[str, Any]]:
    """Draw one batch, padded to ``--batch_size``, and write its images atomically, each recorded in ``log``
    (this process's manifest part) before it is moved into place."""
    import torch

    # Every call has the same shape (a short last batch is padded with copies of its last image, then dropped):
    # a row of a fixed-shape product does not depend on the other rows, so an image is byte-identical whatever
    # batch it lands in — across process counts, orders and resumes.
    padded = batch + batch[-1:] * (args.batch_size - len(batch))
    seeds = [image_seed(args.seed, row["prompt_id"], i) for row, i, _ in padded]
    drawing = draw(
        [row["prompt"] for row, _, _ in padded], [torch.Generator("cpu").manual_seed(s) for s in seeds]
    )
    written = []
    for (row, i, path), image, seed, nsfw in zip(
        batch, drawing.images, seeds, drawing.nsfw_flags, strict=False
    ):
        target = output / path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        image.save(tmp, format="PNG")
        entry = {
            "prompt_id": row["prompt_id"], "model": spec.model_id, "revision": spec.revision, "seed": seed,
            "index": i, "steps": spec.steps, "guidance": spec.guidance, "size": [spec.height, spec.width],
            "scheduler": spec.scheduler, "dtype": spec.dtype, "batch_size": args.batch_size,
            **draw.manifest_fields, "nsfw_flagged": nsfw, "file": path, "sha256": sha256_of(tmp),
        }  # fmt: skip
        # Record first, then move into place: a killed run never leaves an image the manifest does not name
        # (a recorded image that is missing or different is simply redone).
        log.write(json.dumps(entry) + "\n")
        log.flush()
        os.fsync(log.fileno())
        tmp.replace(target)
        written.append(entry)
    return written


def _consolidate(output: Path) -> None:
    """Fold the processes' append-only parts into ``manifest.jsonl``: one line per image whose file holds the
    recorded bytes, sorted by file; written atomically, parts removed only after it is in place."""
    done, _ = _manifest(output)
    parts = sorted(output.glob(f"{MANIFEST}-*.jsonl"))
    tmp = output / f"{MANIFEST}.jsonl.tmp"
    tmp.write_text("".join(json.dumps(done[file]) + "\n" for file in sorted(done)))
    tmp.replace(output / f"{MANIFEST}.jsonl")
    for part in parts:
        part.unlink()
