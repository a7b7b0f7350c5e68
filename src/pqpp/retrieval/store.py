"""Image embeddings of a pool, computed once, in shards, resumably, across processes.

The pool (sorted by image id) is cut into shards of ``shard_size`` images. Each shard is encoded in
batches through a ``DataLoader`` and written atomically as ``shard_NNNNN.npy`` (normalised float32
embeddings) and ``shard_NNNNN.ids.npy`` (the ids of the images it holds). A shard that exists is never
encoded again, so a killed run resumes where it stopped and a finished pool is never re-encoded; with
several processes (``accelerate launch``) shard ``k`` is encoded by process ``k mod num_processes``, and the
shards are the same as a single process writes. The folder is keyed by the encoder's identity (model
and weights) and the pool's ids.

Unreadable images are reported by id (count and first few) and skipped only when ``skip_bad_images``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from pqpp.retrieval.encoders import cache_key
from pqpp.retrieval.pool import Pool

__all__ = ["BadImagesError", "EmbeddingStore"]

logger = logging.getLogger(__name__)


class BadImagesError(RuntimeError):
    """Some pool images could not be read."""


def _save(path: Path, array: np.ndarray) -> None:
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, array)
    tmp.replace(path)


class EmbeddingStore:
    """The shard folder of one (encoder, pool) pair under ``cache_dir``."""

    def __init__(
        self, cache_dir: str | os.PathLike, identity: str, pool: Pool, shard_size: int = 4096
    ) -> None:
        if shard_size < 1:
            raise ValueError(f"shard_size must be positive, got {shard_size}")
        pool_hash = hashlib.sha256(np.asarray(pool.ids, dtype=np.int64).tobytes()).hexdigest()[:12]
        self.folder = Path(cache_dir) / cache_key(identity) / f"pool-{pool_hash}-{shard_size}"
        self.pool = pool
        self.shard_size = shard_size
        self.num_shards = -(-len(pool) // shard_size)

    def shard_path(self, shard: int) -> Path:
        return self.folder / f"shard_{shard:05d}.npy"

    def missing(self) -> list[int]:
        return [k for k in range(self.num_shards) if not self.shard_path(k).is_file()]

    def encode(
        self,
        encode_images: Callable[[Any], Any],
        transform: Callable[[Any], Any],
        *,
        batch_size: int = 256,
        num_workers: int = 0,
        skip_bad_images: bool = False,
        process_index: int = 0,
        num_processes: int = 1,
        progress: bool = True,
    ) -> list[int]:
        """Encode this process's missing shards; return the shards it wrote.

        Raises:
            BadImagesError: unreadable images and not ``skip_bad_images`` (nothing of that shard is written).
        """
        import torch
        from torch.utils.data import DataLoader
        from tqdm.auto import tqdm

        self.folder.mkdir(parents=True, exist_ok=True)
        mine = [k for k in self.missing() if k % num_processes == process_index]
        total = sum(min(self.shard_size, len(self.pool) - k * self.shard_size) for k in mine)
        bar = tqdm(total=total, desc="encoding images", unit="img", disable=not progress)
        for shard in mine:
            start, stop = shard * self.shard_size, min((shard + 1) * self.shard_size, len(self.pool))
            loader = DataLoader(
                self.pool.dataset(transform, start, stop),
                batch_size=batch_size,
                num_workers=num_workers,
                pin_memory=torch.cuda.is_available(),
                collate_fn=lambda items: items,
            )
            embeddings, ids, bad = [], [], []
            for items in loader:
                good = [(p, t) for p, t in items if t is not None]
                bad += [self.pool.ids[p] for p, t in items if t is None]
                if good:
                    embeddings.append(encode_images(torch.stack([t for _, t in good])).cpu().numpy())
                    ids += [self.pool.ids[p] for p, _ in good]
                bar.update(len(items))
            if bad and not skip_bad_images:
                raise BadImagesError(
                    f"{len(bad)} unreadable image(s) in the pool, e.g. ids {bad[:5]}; fix them or pass "
                    "--skip_bad_images to leave them out"
                )
            if bad:
                logger.warning("skipped %d unreadable image(s): ids %s", len(bad), bad[:5])
            _save(self.folder / f"shard_{shard:05d}.ids.npy", np.asarray(ids, dtype=np.int64))
            _save(
                self.shard_path(shard), np.concatenate(embeddings).astype(np.float32)
            )  # last: marks it done
        bar.close()
        (self.folder / "meta.json").write_text(
            json.dumps({"images": len(self.pool), "shards": self.num_shards})
        )
        return mine

    def iter_shards(self) -> Any:
        """``(embeddings, ids)`` shard by shard, so that a pool larger than memory can be indexed."""
        missing = self.missing()
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} embedding shard(s) missing in {self.folder}: encode the pool first"
            )
        for k in range(self.num_shards):
            yield np.load(self.shard_path(k)), np.load(self.folder / f"shard_{k:05d}.ids.npy")

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """All embeddings and their image ids, in pool order.

        Raises:
            FileNotFoundError: shards are missing (encode first).
        """
        missing = self.missing()
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} embedding shard(s) missing in {self.folder}: encode the pool first"
            )
        ids = np.concatenate(
            [np.load(self.folder / f"shard_{k:05d}.ids.npy") for k in range(self.num_shards)]
        )
        embeddings = np.concatenate([np.load(self.shard_path(k)) for k in range(self.num_shards)])
        return embeddings, ids
