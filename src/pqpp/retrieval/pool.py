"""The image pool a retriever ranks: a folder of images named by COCO image id.

``ImageFolderPool`` lists ``<folder>/**/<id>.<ext>`` (COCO train2017 names ``000000123456.jpg`` give id
123456), sorted by id, so that shards of the pool are the same whatever the process count. Images are
decoded lazily; one that cannot be read is reported by id instead of stopping the whole run.

Example:
    >>> image_id_from_name("000000391895.jpg")
    391895
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["IMAGE_EXTENSIONS", "ImageFolderPool", "image_id_from_name"]

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
_DIGITS = re.compile(r"(\d+)$")


def image_id_from_name(name: str) -> int:
    """The integer id a COCO-style file name carries (the digits ending its stem)."""
    match = _DIGITS.search(Path(name).stem)
    if match is None:
        raise ValueError(f"image file {name!r} has no numeric id (COCO names look like 000000123456.jpg)")
    return int(match.group(1))


class ImageFolderPool:
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

    def __len__(self) -> int:
        return len(self.ids)

    def dataset(self, transform: Callable[[Any], Any], start: int, stop: int) -> Any:
        """A torch ``Dataset`` of ``(position, tensor or None)`` for pool positions ``[start, stop)``."""
        from torch.utils.data import Dataset

        paths = self.paths

        class _Images(Dataset):
            def __len__(self) -> int:
                return stop - start

            def __getitem__(self, index: int) -> tuple[int, Any]:
                from PIL import Image, UnidentifiedImageError

                position = start + index
                try:
                    with Image.open(paths[position]) as image:
                        return position, transform(image.convert("RGB"))
                except (OSError, UnidentifiedImageError, ValueError):
                    return position, None

        return _Images()
