"""Image generation on a tiny Stable Diffusion pipeline built from configs (2 steps, 16 px, CPU)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("diffusers", reason="generation tests need the generation extra (diffusers)")

from pqpp.generation import pipeline
from pqpp.generation.pipeline import image_seed


@pytest.fixture(scope="session")
def tiny_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from pqpp.generation.tiny import save_tiny_stable_diffusion

    return save_tiny_stable_diffusion(tmp_path_factory.mktemp("tiny-sd"))


def _argv(tiny_sd: Path, data_root: Path, out: Path, *extra: str) -> list[str]:
    return [
        "--model_id", str(tiny_sd), "--steps", "2", "--height", "16", "--width", "16", "--dtype", "fp32",
        "--output_dir", str(out), "--data_dir", str(data_root / "v1.1"), "--splits", "test", "--limit", "5",
        *extra,
    ]  # fmt: skip


def _pixels(folder: Path) -> dict[str, np.ndarray]:
    from PIL import Image

    return {
        str(p.relative_to(folder)): np.asarray(Image.open(p), dtype=np.int16)
        for p in sorted(folder.rglob("*.png"))
    }


def assert_same_images(a: Path, b: Path) -> None:
    """Same files, same seeds, pixels within one grey level. Batched matrix products may round a float
    differently in the last bit when the batch composition differs, which can flip a pixel by one level;
    identical batches give byte-identical files."""
    left, right = _pixels(a), _pixels(b)
    assert list(left) == list(right)
    assert max(int(np.abs(left[k] - right[k]).max()) for k in left) <= 1


def _images(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*.png"))
    }


def test_seeds_depend_on_prompt_and_index_only() -> None:
    assert image_seed(0, "coco-1", 0) == image_seed(0, "coco-1", 0)
    assert len({image_seed(0, "coco-1", 0), image_seed(0, "coco-1", 1), image_seed(0, "coco-2", 0),
                image_seed(1, "coco-1", 0)}) == 4  # fmt: skip
    assert 0 <= image_seed(7, "drawbench-3", 1) < 2**63


def test_same_images_whatever_the_batch_size(tiny_sd, data_root, tmp_path) -> None:
    pipeline.main(_argv(tiny_sd, data_root, tmp_path / "b1", "--batch_size", "1"))
    pipeline.main(_argv(tiny_sd, data_root, tmp_path / "b3", "--batch_size", "3"))
    assert len(_images(tmp_path / "b1")) == 10  # 5 prompts x 2 images
    assert_same_images(tmp_path / "b1", tmp_path / "b3")
    pipeline.main(_argv(tiny_sd, data_root, tmp_path / "b1-again", "--batch_size", "1"))
    assert _images(tmp_path / "b1") == _images(tmp_path / "b1-again")  # same batches: byte-identical


def test_manifest_and_archive_layout(tiny_sd, data_root, upstream_rows, tmp_path) -> None:
    out = tmp_path / "archive"
    written = pipeline.main(_argv(tiny_sd, data_root, out, "--layout", "archive", "--slots", "4", "5"))
    rows = upstream_rows["1.1.0"]["test"][:5]
    folders = [
        str(r["coco_image_id"])
        if r["source"] == "mscoco"
        else f"drawbench/{r['prompt_id'].removeprefix('drawbench-')}"
        for r in rows
    ]
    assert "drawbench/70" in folders  # v1.1 test row 4 is DrawBench prompt 70
    expected = sorted(f"{folder}/image_{slot}.png" for folder in folders for slot in (4, 5))
    assert sorted(_images(out)) == expected
    entries = [
        json.loads(line) for p in sorted(out.glob("manifest*.jsonl")) for line in p.read_text().splitlines()
    ]
    assert len(entries) == 10
    assert entries == written
    first = entries[0]
    assert set(first) == {"prompt_id", "model", "revision", "seed", "index", "steps", "guidance", "size", "scheduler",
                          "dtype", "file", "sha256", "nsfw_flagged"}  # fmt: skip
    assert first["seed"] == image_seed(0, first["prompt_id"], first["index"])
    assert first["steps"] == 2
    assert first["size"] == [16, 16]
    assert all(hashlib.sha256((out / e["file"]).read_bytes()).hexdigest() == e["sha256"] for e in entries)


def test_rerun_skips_finished_and_redoes_partial(tiny_sd, data_root, tmp_path) -> None:
    out = tmp_path / "out"
    pipeline.main(_argv(tiny_sd, data_root, out))
    reference = _images(out)
    victim = sorted(out.rglob("*.png"))[3]
    victim.write_bytes(b"half-written")  # a partial file: its checksum no longer matches the manifest
    again = pipeline.main(_argv(tiny_sd, data_root, out))
    assert [e["file"] for e in again] == [str(victim.relative_to(out))]
    assert _images(out) == reference
    assert pipeline.main(_argv(tiny_sd, data_root, out)) == []  # nothing left to do
    entries = [json.loads(line) for p in out.glob("manifest*.jsonl") for line in p.read_text().splitlines()]
    assert len({e["file"] for e in entries}) == 10  # no missing image


def test_unvouched_files_are_never_overwritten(tiny_sd, data_root, tmp_path) -> None:
    out = tmp_path / "out"
    (out / "coco-605217").mkdir(parents=True)
    (out / "coco-605217" / "0.png").write_bytes(b"someone else's image")
    with pytest.raises(FileExistsError, match="without a matching manifest entry"):
        pipeline.main(_argv(tiny_sd, data_root, out))
    assert (out / "coco-605217" / "0.png").read_bytes() == b"someone else's image"


@pytest.mark.parametrize(
    ("extra", "error", "match"),
    [
        (["--generator", "sdxl-turbo"], ValueError, "exactly one of --generator"),
        (["--height", "20"], ValueError, "multiple of 8"),
        (["--scheduler", "NoSuchScheduler"], ValueError, "unknown diffusers scheduler"),
        (["--limit", "0", "--prompts_file", "/nonexistent.txt"], FileNotFoundError, "does not exist"),
        (["--layout", "archive"], ValueError, "needs 2 --slots"),
    ],
)
def test_bad_input_fails_before_loading_a_model(tiny_sd, data_root, tmp_path, extra, error, match) -> None:
    with pytest.raises(error, match=match):
        pipeline.main(_argv(tiny_sd, data_root, tmp_path / "out", *extra))
    assert not (tmp_path / "out").exists()


def test_unknown_generator_and_empty_prompts(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"unknown generator 'dalle'; registered: \['sdxl'\]"):
        pipeline.main(["--generator", "dalle", "--output_dir", str(tmp_path)])
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(ValueError, match="no prompts"):
        pipeline.main(["--model_id", "x", "--prompts_file", str(empty), "--output_dir", str(tmp_path / "o")])


@pytest.mark.slow
def test_two_processes_make_the_same_images(tiny_sd, data_root, tmp_path) -> None:
    from conftest import launch_on_cpu

    script = Path(__file__).resolve().parents[1] / "generation" / "generate.py"
    for processes in (1, 2):
        launch_on_cpu(processes, script, _argv(tiny_sd, data_root, tmp_path / f"p{processes}"))
    assert_same_images(tmp_path / "p1", tmp_path / "p2")
    assert len(_images(tmp_path / "p2")) == 10
    parts = sorted(p.name for p in (tmp_path / "p2").glob("manifest-*.jsonl"))
    assert parts == ["manifest-000.jsonl", "manifest-001.jsonl"]  # both processes drew their share
