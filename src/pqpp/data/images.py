"""The upstream image archive: where each prompt's images are, and checking that they are all there.

The archive (33.5 GB, a manual download) has one folder per COCO image id::

    images/<coco_image_id>/image_4.png   SDXL, first image
                           image_5.png   SDXL, second image
                           image_6.png   the MS COCO original
                           image_7.png   GLIDE, first image
                           image_8.png   GLIDE, second image

DrawBench prompts have no COCO image; their generated images, where a user has them, go in
``images/drawbench/<drawbench index>/image_{4,5,7,8}.png`` and are optional (rows without that folder get
empty image lists).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["COCO_FILE", "GLIDE_FILES", "IMAGES_DIR_ENV", "SDXL_FILES", "ImageArchive", "archive_folder"]

IMAGES_DIR_ENV = "PQPP_IMAGES_DIR"
SDXL_FILES = ("image_4.png", "image_5.png")
COCO_FILE = "image_6.png"
GLIDE_FILES = ("image_7.png", "image_8.png")

MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
The PQPP images (SDXL and GLIDE generations and the MS COCO originals, 33.5 GB) are a manual download from
the link in the upstream README (https://github.com/Eduard6421/PQPP#dataset-description). Unpack the
archive and pass its `images/` folder (the one holding one sub-folder per COCO image id) as
`images_dir=...` (or set ${IMAGES_DIR_ENV}); `<data_dir>/images` is used when it exists."""


def archive_folder(row: Mapping[str, Any]) -> str:
    """A prompt's folder in the archive: its COCO image id, or ``drawbench/<index>``.

    Raises:
        ValueError: a prompt that is neither (not a PQPP prompt).
    """
    if row.get("coco_image_id") is not None:
        return str(row["coco_image_id"])
    if str(row.get("prompt_id", "")).startswith("drawbench-"):
        return "drawbench/" + row["prompt_id"].removeprefix("drawbench-")
    raise ValueError(
        f"prompt {row.get('prompt_id')!r} has no place in the archive layout (not a PQPP prompt)"
    )


class ImageArchive:
    """A local copy of the upstream image archive.

    Args:
        root: the folder holding one sub-folder per COCO image id (or its parent, holding ``images/``).
    """

    def __init__(self, root: str | os.PathLike) -> None:
        root = Path(root).expanduser()
        if (root / "images").is_dir():
            root = root / "images"
        if not root.is_dir():
            raise FileNotFoundError(
                f"image folder {str(root)!r} does not exist.\n{MANUAL_DOWNLOAD_INSTRUCTIONS}"
            )
        self.root = root

    @classmethod
    def locate(cls, images_dir: str | os.PathLike | None, data_dir: str | os.PathLike | None) -> ImageArchive:
        """The archive named by ``images_dir``, ``$PQPP_IMAGES_DIR`` or ``<data_dir>/images``, in that order."""
        for candidate in (images_dir, os.environ.get(IMAGES_DIR_ENV)):
            if candidate:
                return cls(candidate)
        if data_dir is not None and (Path(data_dir) / "images").is_dir():
            return cls(Path(data_dir) / "images")
        raise FileNotFoundError(f"no image folder given.\n{MANUAL_DOWNLOAD_INSTRUCTIONS}")

    def folder(self, row: Mapping[str, Any]) -> Path:
        return self.root / archive_folder(row)

    def files(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The image columns of ``row`` as paths (``datasets.Image`` accepts paths)."""
        folder = self.folder(row)
        if row["source"] != "mscoco" and not folder.is_dir():
            return {"sdxl_images": [], "glide_images": [], "coco_image": None}
        return {
            "sdxl_images": [str(folder / name) for name in SDXL_FILES],
            "glide_images": [str(folder / name) for name in GLIDE_FILES],
            "coco_image": str(folder / COCO_FILE) if row["source"] == "mscoco" else None,
        }

    def check(self, rows: Iterable[Mapping[str, Any]], show: int = 10) -> None:
        """Raise one ``FileNotFoundError`` listing every missing image of ``rows`` (the first ``show`` by name)."""
        missing = []
        for row in rows:
            columns = self.files(row)
            paths = [*columns["sdxl_images"], *columns["glide_images"], columns["coco_image"]]
            missing += [p for p in paths if p is not None and not Path(p).is_file()]
        if missing:
            listed = "\n  ".join(missing[:show])
            more = f"\n  … and {len(missing) - show} more" if len(missing) > show else ""
            raise FileNotFoundError(
                f"{len(missing)} image(s) missing from {str(self.root)!r}:\n  {listed}{more}\n"
                f"{MANUAL_DOWNLOAD_INSTRUCTIONS}"
            )
