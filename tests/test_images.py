"""The `images` config on a tiny release and image archive that the test writes."""

from __future__ import annotations

import csv
import hashlib
import pickle
import shutil
from pathlib import Path

import datasets
import pytest
from PIL import Image

from pqpp.data import Pqpp
from pqpp.data.hub import build_folder
from pqpp.data.images import ImageArchive
from pqpp.data.registry import RELEASES, Release, UpstreamFile

# Three prompts, one per split; COCO image ids 11, 22, 33.
ROWS = [
    {"id": 101, "image_id": 11, "best_caption": "a red bus ", "glide_score": 0.5, "sdxl_score": 2.0},
    {"id": 202, "image_id": 22, "best_caption": "two cats", "glide_score": -1.0, "sdxl_score": 1.0},
    {"id": 303, "image_id": 33, "best_caption": "a kite", "glide_score": 1.5, "sdxl_score": 1.75},
]
# Each image gets its own colour, so a mix-up of files shows.
COLOURS = {"image_4.png": 40, "image_5.png": 50, "image_6.png": 60, "image_7.png": 70, "image_8.png": 80}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tiny_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    root = tmp_path / "upstream"
    (root / "dataset").mkdir(parents=True)
    table = root / "dataset" / "dataset.csv"
    with table.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, [*ROWS[0], "clip_pk", "clip_rr", "blip2_pk", "blip2_rr"])
        writer.writeheader()
        for row in ROWS:
            writer.writerow({**row, "clip_pk": 0.1, "clip_rr": 0.5, "blip2_pk": 0.2, "blip2_rr": 1.0})
    qrels = root / "dataset" / "qrels.pickle"
    qrels.write_bytes(pickle.dumps({0: [11], 1: [22, 5], 2: [33]}))
    release = Release(
        version="0.0.1",
        folder="tiny",
        commit="0" * 40,
        layout="v1.0",
        files={
            "dataset": UpstreamFile("dataset/dataset.csv", "0" * 40, _sha(table), 3),
            "qrels": UpstreamFile("dataset/qrels.pickle", "0" * 40, _sha(qrels), 3),
        },
        split_sizes={"train": 1, "validation": 1, "test": 1},
        source_sizes={split: {"mscoco": 1} for split in ("train", "validation", "test")},
        row_ranges={"train": (0, 1), "validation": (1, 2), "test": (2, 3)},
        description="three prompts made by a test",
    )
    monkeypatch.setitem(RELEASES, release.version, release)
    return release.version, root


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    images = tmp_path / "archive" / "images"
    for row in ROWS:
        folder = images / str(row["image_id"])
        folder.mkdir(parents=True)
        for name, value in COLOURS.items():
            Image.new("L", (8, 6), color=value + row["image_id"]).save(folder / name)
    return images.parent


def _builder(version: str, data_dir: Path, images_dir: Path | None, cache: Path) -> Pqpp:
    return Pqpp(
        config_name="images",
        version=version,
        data_dir=str(data_dir),
        images_dir=None if images_dir is None else str(images_dir),
        cache_dir=str(cache),
    )


def _pixel(image: Image.Image) -> int:
    return image.getpixel((0, 0))


def test_images_config(tiny_release, archive: Path, tmp_path: Path) -> None:
    version, root = tiny_release
    builder = _builder(version, root, archive, tmp_path / "cache")
    builder.download_and_prepare()
    dataset = builder.as_dataset()
    features = dataset["validation"].features
    assert list(features)[-3:] == ["sdxl_images", "glide_images", "coco_image"]
    assert features["sdxl_images"] == datasets.List(datasets.Image())
    assert features["coco_image"] == datasets.Image()
    row = dataset["validation"][0]
    assert row["prompt_id"] == "coco-202" and row["generation_score"] == 0.0
    assert [_pixel(i) for i in row["sdxl_images"]] == [40 + 22, 50 + 22]
    assert [_pixel(i) for i in row["glide_images"]] == [70 + 22, 80 + 22]
    assert _pixel(row["coco_image"]) == 60 + 22 and row["coco_image"].size == (8, 6)
    assert "relevant_image_ids" not in row and "clip_rr" not in row


def test_missing_images_are_listed_in_one_error(tiny_release, archive: Path, tmp_path: Path) -> None:
    version, root = tiny_release
    (archive / "images" / "22" / "image_7.png").unlink()
    shutil.rmtree(archive / "images" / "33")
    builder = _builder(version, root, archive, tmp_path / "cache")
    with pytest.raises(FileNotFoundError, match=r"6 image\(s\) missing") as error:
        builder.download_and_prepare()
    message = str(error.value)
    assert (
        "images/22/image_7.png" in message
        and "images/33/image_4.png" in message
        and "images/11/" not in message
    )
    assert "manual download" in message


def test_missing_image_folder(tiny_release, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version, root = tiny_release
    monkeypatch.delenv("PQPP_IMAGES_DIR", raising=False)
    with pytest.raises(
        FileNotFoundError, match=r"(?s)image folder .*/nowhere. does not exist.*manual download"
    ):
        _builder(version, root, tmp_path / "nowhere", tmp_path / "cache").download_and_prepare()
    with pytest.raises(FileNotFoundError, match="no image folder given"):
        _builder(version, root, None, tmp_path / "cache").download_and_prepare()


def test_built_folder_embeds_the_images(tiny_release, archive: Path, tmp_path: Path) -> None:
    version, root = tiny_release
    out = build_folder(tmp_path / "hub", version=version, data_dir=root, images_dir=archive)
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "default", "generation", "images", "pqpp_build.json", "retrieval",
    ]  # fmt: skip
    shutil.rmtree(archive)  # the Parquet files must not point at the archive
    test = datasets.load_dataset(str(out), "images", split="test")
    assert [_pixel(i) for i in test[0]["glide_images"]] == [70 + 33, 80 + 33]
    assert datasets.load_dataset(str(out), "retrieval", split="train")[0]["relevant_image_ids"] == [11]


def test_drawbench_images_are_optional(tmp_path: Path) -> None:
    archive = ImageArchive(tmp_path)
    row = {"source": "drawbench", "prompt_id": "drawbench-7", "coco_image_id": None}
    assert archive.files(row) == {"sdxl_images": [], "glide_images": [], "coco_image": None}
    (tmp_path / "drawbench" / "7").mkdir(parents=True)
    columns = archive.files(row)
    assert columns["sdxl_images"] == [
        str(tmp_path / "drawbench/7/image_4.png"),
        str(tmp_path / "drawbench/7/image_5.png"),
    ]
    assert columns["coco_image"] is None
    with pytest.raises(FileNotFoundError, match=r"4 image\(s\) missing"):
        archive.check([row])
