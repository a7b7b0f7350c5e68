"""The image pool a retriever ranks: a folder of images named by COCO image id, or a ``datasets`` dataset.

``ImageFolderPool`` lists ``<folder>/**/<id>.<ext>`` (COCO train2017 names ``000000123456.jpg`` give id
123456), sorted by id, so that shards of the pool are the same whatever the process count. Images are
decoded lazily; one that cannot be read is reported by id instead of stopping the whole run.

Example:
    >>> image_id_from_name("000000391895.jpg")
    391895
"""

from __future__ import annotations

import abc
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["IMAGE_EXTENSIONS", "DatasetPool", "ImageFolderPool", "Pool", "image_id_from_name"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
_DIGITS = re.compile(r"(\d+)$")


def image_id_from_name(name: str) -> int:
    """The integer id a COCO-style file name carries (the digits ending its stem)."""
    match = _DIGITS.search(Path(name).stem)
    if match is None:
        raise ValueError(f"image file {name!r} has no numeric id (COCO names look like 000000123456.jpg)")
    return int(match.group(1))


class Pool(abc.ABC):
    """Images sorted by id (``ids``); ``_load(position)`` returns one as an RGB ``PIL.Image``."""

    ids: list[int]

    def __len__(self) -> int:
        return len(self.ids)

    @abc.abstractmethod
    def _load(self, position: int) -> Any:
        """The image at ``position`` of ``ids``."""

    def dataset(self, transform: Callable[[Any], Any], start: int, stop: int) -> Any:
        """A map-style dataset of ``(position, tensor or None)`` for pool positions ``[start, stop)``;
        ``None`` marks an image that could not be read."""
        return _Images(self._load, transform, start, stop)


class ImageFolderPool(Pool):
    """Images under ``folder`` keyed by id.

    Raises:
        FileNotFoundError: the folder does not exist or holds no image.
        ValueError: a file name without an id, or two files with the same id.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise FileNotFoundError(f"image pool folder {str(self.folder)!r} does not exist")
        files = [p for p in self.folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file()]
        if not files:
            raise FileNotFoundError(f"no image ({', '.join(IMAGE_EXTENSIONS)}) under {str(self.folder)!r}")
        by_id: dict[int, Path] = {}
        for path in files:
            image_id = image_id_from_name(path.name)
            if image_id in by_id:
                raise ValueError(f"two images with id {image_id}: {by_id[image_id]} and {path}")
            by_id[image_id] = path
        self.ids = sorted(by_id)
        self.paths = [by_id[i] for i in self.ids]

    def _load(self, position: int) -> Any:
        from PIL import Image

        with Image.open(self.paths[position]) as image:
            return image.convert("RGB")


class DatasetPool(Pool):
    """Images of a ``datasets`` dataset (an ``Image`` column and an integer id column), sorted by id.

    Args:
        dataset: a ``datasets.Dataset``.
        image_column: the ``datasets.Image`` column.
        id_column: the integer image id column (e.g. COCO's ``image_id``).

    Raises:
        ValueError: a missing column, or duplicate ids.
    """

    def __init__(self, dataset: Any, image_column: str = "image", id_column: str = "image_id") -> None:
        import datasets

        for column in (image_column, id_column):
            if column not in dataset.column_names:
                raise ValueError(f"image dataset has no column {column!r}; columns: {dataset.column_names}")
        # Undecoded rows: reading ids must not decode every image.
        self.source = dataset.cast_column(image_column, datasets.Image(decode=False))
        self.image_column = image_column
        raw_ids = [int(i) for i in dataset[id_column]]
        if len(set(raw_ids)) != len(raw_ids):
            raise ValueError(f"image dataset has duplicate ids in {id_column!r}")
        self.order = sorted(range(len(raw_ids)), key=raw_ids.__getitem__)
        self.ids = [raw_ids[i] for i in self.order]

    def _load(self, position: int) -> Any:
        import io

        from PIL import Image

        value = self.source[self.order[position]][self.image_column]
        image = Image.open(io.BytesIO(value["bytes"])) if value.get("bytes") else Image.open(value["path"])
        with image:
            return image.convert("RGB")


class _Images:
    """``(position, tensor or None)`` items for pool positions ``[start, stop)`` (a map-style dataset)."""

    def __init__(
        self, load: Callable[[int], Any], transform: Callable[[Any], Any], start: int, stop: int
    ) -> None:
        self.load, self.transform, self.start, self.stop = load, transform, start, stop

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, index: int) -> tuple[int, Any]:
        from PIL import UnidentifiedImageError

        position = self.start + index
        try:
            return position, self.transform(self.load(position))
        except (OSError, UnidentifiedImageError, ValueError):
            return position, None
