"""``retrieval/retrieve.py``: recompute PQPP's retrieval ground truth for a retriever and an image pool.

Encode the pool once (sharded, resumable, split across processes with ``accelerate launch``), encode the
PQPP prompts, score every prompt against the whole pool, and write one row per prompt with the dataset's
columns (``<prefix>_p10``, ``<prefix>_rr``) plus a TREC run file of the top images. Prompts without
relevance judgments, or whose relevant images are all outside the pool, are skipped with a warning, never
scored as zero.
"""

from __future__ import annotations

import argparse
import csv
import logging
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pqpp.cache import cache_dir
from pqpp.data.arguments import add_data_arguments
from pqpp.data.registry import SPLITS

__all__ = ["main", "parse_args"]

logger = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="retrieve.py",
        description="Rank an image pool for every PQPP prompt with a text-to-image retriever and score the "
        "rankings against PQPP's relevance judgments (P@k and RR, the dataset's retrieval columns).",
        epilog="example: accelerate launch retrieval/retrieve.py --images_dir coco/train2017 --output_dir runs/clip",
    )
    pool = parser.add_mutually_exclusive_group(required=True)
    pool.add_argument("--images_dir", help="the pool: a folder of images named by COCO id (000000123456.jpg)")
    pool.add_argument("--images_dataset", help="the pool: a datasets folder (save_to_disk) or Hub dataset id")
    parser.add_argument("--images_split", default="train", help="split of --images_dataset")
    parser.add_argument("--image_column", default="image", help="image column of --images_dataset")
    parser.add_argument("--id_column", default="image_id", help="integer id column of --images_dataset")
    parser.add_argument("--output_dir", required=True)
    parser.add_argument("--encoder", default="open_clip", help="registered encoder (pqpp.retrieval.encoders)")
    parser.add_argument(
        "--model_name",
        default="ViT-B-32",
        help="open_clip model name, or (blip2) a checkpoint such as Salesforce/blip2-itm-vit-g",
    )
    parser.add_argument(
        "--pretrained", default="openai", help="open_clip pretrained tag or checkpoint; 'none' = random"
    )
    parser.add_argument(
        "--model_config_dir", help="folder of extra open_clip model configs (JSON) to register"
    )
    parser.add_argument("--column_prefix", default="clip", help="output columns <prefix>_p10 and <prefix>_rr")
    add_data_arguments(parser)
    parser.add_argument("--splits", nargs="+", default=list(SPLITS), choices=SPLITS)
    parser.add_argument("--limit", type=int, help="score only the first N judged prompts of each split")
    parser.add_argument("--k", type=int, default=10, help="precision cut-off")
    parser.add_argument("--top_k", type=int, default=100, help="images per prompt in the run file")
    parser.add_argument(
        "--cache_dir", default=str(cache_dir("embeddings")), help="where image embeddings are kept"
    )
    parser.add_argument("--shard_size", type=int, default=4096)
    parser.add_argument("--batch_size", type=int, default=256)
    parser.add_argument("--num_workers", type=int, default=4)
    parser.add_argument("--precision", default="fp32", choices=["fp32", "fp16", "bf16"])
    parser.add_argument("--query_chunk", type=int, default=256, help="prompts scored at once")
    parser.add_argument(
        "--skip_bad_images", action="store_true", help="leave out unreadable images (reported)"
    )
    parser.add_argument(
        "--faiss_factory",
        help="approximate search with this faiss.index_factory string (e.g. 'IVF4096,PQ64'); default: exact scoring",
    )
    parser.add_argument(
        "--nprobe", type=int, default=8, help="IVF lists probed per query (approximate search)"
    )
    parser.add_argument(
        "--search_depth", type=int, default=1000, help="images retrieved per query (approximate)"
    )
    parser.add_argument("--train_size", type=int, default=100_000, help="vectors to train the FAISS index on")
    return parser.parse_args(argv)


def _queries(
    rows: list[dict], position: dict[int, int], limit: int | None
) -> tuple[list[dict], list[list[int]], int, int]:
    """Judged prompts with at least one relevant image in the pool, and their relevant pool positions."""
    kept, relevant, unjudged, outside = [], [], 0, 0
    for row in rows:
        if not row["relevant_image_ids"]:
            unjudged += 1
            continue
        inside = [position[i] for i in row["relevant_image_ids"] if i in position]
        if not inside:
            outside += 1
            continue
        kept.append(row)
        relevant.append(inside)
        if limit and len(kept) >= limit:
            break
    return kept, relevant, unjudged, outside


def _pool(args: argparse.Namespace) -> Any:
    from pqpp.retrieval.pool import DatasetPool, ImageFolderPool

    if args.images_dir:
        return ImageFolderPool(args.images_dir)
    import datasets

    path = Path(args.images_dataset)
    if path.is_dir() and (path / "dataset_info.json").is_file():
        images = datasets.load_from_disk(str(path))
    else:
        images = datasets.load_dataset(args.images_dataset, split=args.images_split)
    if isinstance(images, datasets.DatasetDict):
        images = images[args.images_split]
    return DatasetPool(images, args.image_column, args.id_column)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    from accelerate import PartialState
    from accelerate.utils import parse_flag_from_env

    from pqpp.data import load_pqpp
    from pqpp.retrieval.encoders import create_encoder
    from pqpp.retrieval.score import score_queries, write_trec_run
    from pqpp.retrieval.store import EmbeddingStore

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    # As Accelerator does: ACCELERATE_USE_CPU (set by `accelerate launch --cpu`) selects CPU processes (gloo).
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))
    pool = _pool(args)  # fails on a bad pool before any model is loaded
    if args.model_config_dir:
        import open_clip

        open_clip.add_model_config(args.model_config_dir)
    pretrained = None if args.pretrained.lower() == "none" else args.pretrained
    encoder = create_encoder(
        args.encoder,
        model_name=args.model_name,
        pretrained=pretrained,
        device=str(state.device),
        precision=args.precision,
    )
    store = EmbeddingStore(args.cache_dir, encoder.identity, pool, args.shard_size)
    store.encode(
        encoder.encode_images,
        encoder.transform,
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        skip_bad_images=args.skip_bad_images,
        process_index=state.process_index,
        num_processes=state.num_processes,
        progress=state.is_local_main_process,
    )
    state.wait_for_everyone()
    if not state.is_main_process:
        return {}

    if args.faiss_factory:
        from pqpp.retrieval.approximate import build_index, search_index

        shard_ids: list[np.ndarray] = []

        def shards() -> Any:
            for shard_embeddings, shard_image_ids in store.iter_shards():
                shard_ids.append(shard_image_ids)
                yield shard_embeddings, shard_image_ids

        index = build_index(shards(), args.faiss_factory, train_size=args.train_size, nprobe=args.nprobe)
        ids = np.concatenate(shard_ids)
        embeddings = None
    else:
        embeddings, ids = store.load()
    position = {int(image_id): p for p, image_id in enumerate(ids)}
    splits = load_pqpp(args.dataset_version, args.data_dir, config="retrieval")
    output = Path(args.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    rows_out, summary = [], {}
    run_ids, run_docs, run_scores = [], [], []
    for split in args.splits:
        kept, relevant, unjudged, outside = _queries(splits[split].to_list(), position, args.limit)
        if unjudged or outside:
            warnings.warn(
                f"{split}: skipped {unjudged} prompt(s) without relevance judgments and {outside} whose relevant "
                "images are all outside the pool (not scored as zero)",
                UserWarning,
                stacklevel=2,
            )
        if not kept:
            continue
        texts = [row["prompt"] for row in kept]
        queries = np.concatenate(
            [
                encoder.encode_texts(texts[i : i + args.batch_size]).cpu().numpy()
                for i in range(0, len(texts), args.batch_size)
            ]
        )
        if embeddings is None:
            found = search_index(
                index, queries, [ids[r] for r in relevant], k=args.k, depth=args.search_depth
            )
            if found["found"] < 1:
                warnings.warn(
                    f"{split}: for {1 - found['found']:.1%} of prompts no relevant image is among the index's top "
                    f"{args.search_depth}: their RR is reported as 0, a lower bound (approximate search)",
                    UserWarning,
                    stacklevel=2,
                )
            result = {"rank": found["rank"], "precision": found["precision"]}
            docs, scores = found["ids"][:, : args.top_k], found["scores"][:, : args.top_k]
        else:
            result = score_queries(
                queries,
                embeddings,
                relevant,
                k=args.k,
                top_k=args.top_k,
                chunk=args.query_chunk,
                device=str(state.device),
            )
            docs, scores = ids[result["top_ids"]], result["top_scores"]
        with np.errstate(divide="ignore"):
            rr = np.where(result["rank"] > 0, 1.0 / np.maximum(result["rank"], 1), 0.0)
        summary[split] = {
            "prompts": len(kept),
            f"P@{args.k}": float(result["precision"].mean()),
            "RR": float(rr.mean()),
        }
        for row, p, r in zip(kept, result["precision"], rr, strict=True):
            rows_out.append(
                {
                    "prompt_id": row["prompt_id"],
                    "split": split,
                    f"{args.column_prefix}_p{args.k}": p,
                    f"{args.column_prefix}_rr": r,
                }
            )
        run_ids += [row["prompt_id"] for row in kept]
        run_docs.append(docs)
        run_scores.append(scores)
    if not rows_out:
        raise ValueError("no prompt could be scored: none has a relevant image in the pool")
    tmp = output / "scores.csv.tmp"
    with tmp.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows_out[0]))
        writer.writeheader()
        writer.writerows(
            {k: repr(float(v)) if isinstance(v, float | np.floating) else v for k, v in r.items()}
            for r in rows_out
        )
    tmp.replace(output / "scores.csv")
    write_trec_run(
        output / "run.trec",
        run_ids,
        np.concatenate(run_docs),
        np.concatenate(run_scores),
        encoder.identity.replace(" ", "_"),
    )
    logger.info("scored %d prompts: %s", len(rows_out), summary)
    return summary
