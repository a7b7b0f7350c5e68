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
    """Same files, pixels within one grey level: the float rounding of batched products depends on the batch
    *size* (the shapes), which can flip a pixel by one level; with one batch size the files are identical."""
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


def _entries(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]


def test_same_images_whatever_the_batch_size(tiny_sd, data_root, tmp_path) -> None:
    pipeline.main(_argv(tiny_sd, data_root, tmp_path / "b1", "--batch_size", "1"))
    pipeline.main(_argv(tiny_sd, data_root, tmp_path / "b3", "--batch_size", "3"))
    assert len(_images(tmp_path / "b1")) == 10  # 5 prompts x 2 images
    assert_same_images(tmp_path / "b1", tmp_path / "b3")
    assert {e["batch_size"] for e in _entries(tmp_path / "b3")} == {3}


def test_an_image_does_not_depend_on_its_batch_mates(tiny_sd, data_root, tmp_path) -> None:
    """With one batch size, the first 3 prompts (batches [3, 3] of 6 images) and all 5 prompts (batches
    [3, 3, 3, 1 padded]) give byte-identical files for the prompts they share, in other batch positions."""
    pipeline.main(_argv(tiny_sd, data_root, tmp_path / "all", "--batch_size", "3"))
    pipeline.main([*_argv(tiny_sd, data_root, tmp_path / "some", "--batch_size", "3"), "--limit", "3"])
    some, everything = _images(tmp_path / "some"), _images(tmp_path / "all")
    assert len(some) == 6
    assert some == {file: everything[file] for file in some}


def test_kill_and_resume(tiny_sd, data_root, tmp_path, monkeypatch) -> None:
    """A run killed after 4 of 10 images, then resumed: no duplicate, no missing image, the same bytes as an
    uninterrupted run, and one manifest line per image."""
    pipeline.main(_argv(tiny_sd, data_root, tmp_path / "whole", "--batch_size", "3"))
    real_sha, calls = pipeline.sha256_of, []

    def killed_at_the_fifth_image(path):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real_sha(path)

    monkeypatch.setattr(pipeline, "sha256_of", killed_at_the_fifth_image)
    with pytest.raises(KeyboardInterrupt):
        pipeline.main(_argv(tiny_sd, data_root, tmp_path / "resumed", "--batch_size", "3"))
    monkeypatch.undo()
    assert len(_images(tmp_path / "resumed")) == 4
    assert not (tmp_path / "resumed" / "manifest.jsonl").exists()  # only the killed process's part
    resumed = pipeline.main(_argv(tiny_sd, data_root, tmp_path / "resumed", "--batch_size", "3"))
    assert len(resumed) == 6
    assert _images(tmp_path / "resumed") == _images(tmp_path / "whole")
    assert sorted(p.name for p in (tmp_path / "resumed").glob("manifest*")) == ["manifest.jsonl"]
    entries = _entries(tmp_path / "resumed")
    assert [e["file"] for e in entries] == sorted(_images(tmp_path / "whole"))  # one line per image
    assert not list((tmp_path / "resumed").rglob("*.tmp"))


def test_a_line_cut_short_is_ignored_and_its_image_redone(tiny_sd, data_root, tmp_path) -> None:
    out = tmp_path / "out"
    pipeline.main(_argv(tiny_sd, data_root, out))
    lines = (out / "manifest.jsonl").read_text().splitlines(keepends=True)
    victim = json.loads(lines[-1])["file"]
    (out / victim).unlink()
    (out / "manifest.jsonl").write_text("".join(lines[:-1]))
    (out / "manifest-000.jsonl").write_text(lines[-1][:40])  # a kill while the entry was being written
    again = pipeline.main(_argv(tiny_sd, data_root, out))
    assert [e["file"] for e in again] == [victim]
    assert len(_entries(out)) == 10


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
    entries = _entries(out)
    assert len(entries) == 10
    assert entries == sorted(written, key=lambda e: e["file"])
    first = entries[0]
    assert set(first) == {"prompt_id", "model", "revision", "seed", "index", "steps", "guidance", "size", "scheduler",
                          "dtype", "batch_size", "backend", "safety_checker", "nsfw_flagged", "file", "sha256"}  # fmt: skip
    assert (first["backend"], first["safety_checker"], first["nsfw_flagged"]) == ("diffusers", None, None)
    assert first["seed"] == image_seed(0, first["prompt_id"], first["index"])
    assert first["steps"] == 2
    assert first["size"] == [16, 16]
    assert all(hashlib.sha256((out / e["file"]).read_bytes()).hexdigest() == e["sha256"] for e in entries)


def test_prompts_by_source(tiny_sd, data_root, tmp_path) -> None:
    written = pipeline.main(
        [*_argv(tiny_sd, data_root, tmp_path / "db", "--sources", "drawbench"), "--limit", "3"]
    )
    assert sorted({e["prompt_id"] for e in written}) == [
        "drawbench-12",
        "drawbench-160",
        "drawbench-70",
    ]  # the first three of v1.1 test


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
    assert len(_entries(out)) == 10  # no missing image, no duplicate line


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
        (["--batch_size", "0"], ValueError, "--batch_size must be at least 1"),
    ],
)
def test_bad_input_fails_before_loading_a_model(tiny_sd, data_root, tmp_path, extra, error, match) -> None:
    with pytest.raises(error, match=match):
        pipeline.main(_argv(tiny_sd, data_root, tmp_path / "out", *extra))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("csv", "extra", "match"),
    [
        ("prompt_id,prompt\na,a cat\na,a dog\n", [], "appear more than once"),
        ("prompt_id,prompt\n../../escape,a cat\n", [], "usable as folder names"),
        ("prompt_id,prompt\na,a cat\nb,  \n", [], "1 empty prompt"),
        (
            "prompt_id,prompt\na,a cat\n",
            ["--layout", "archive", "--slots", "4", "5"],
            "needs dataset prompts",
        ),
    ],
)
def test_bad_prompt_files_fail_before_any_work(tmp_path, csv, extra, match) -> None:
    prompts = tmp_path / "prompts.csv"
    prompts.write_text(csv)
    with pytest.raises(ValueError, match=match):
        pipeline.main(
            ["--model_id", "x", "--prompts_file", str(prompts), "--output_dir", str(tmp_path / "out"), *extra]
        )
    assert not (tmp_path / "out").exists()


def test_unknown_generator_and_empty_prompts(tmp_path) -> None:
    with pytest.raises(ValueError, match=r"unknown generator 'dalle'; registered: \['glide', 'sdxl'\]"):
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
    assert len(_images(tmp_path / "p2")) == 10
    assert _images(tmp_path / "p1") == _images(tmp_path / "p2")  # byte-identical: same batch size
    entries = _entries(tmp_path / "p2")
    assert [e["file"] for e in entries] == sorted(_images(tmp_path / "p2"))
    assert not list((tmp_path / "p2").glob("manifest-*.jsonl"))  # both processes' parts folded into one


@pytest.fixture(scope="session")
def flagging_sd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny pipeline with a safety checker that flags every image."""
    from pqpp.generation.tiny import save_tiny_stable_diffusion

    return save_tiny_stable_diffusion(tmp_path_factory.mktemp("flagging-sd"), safety_threshold=-1.5)


def test_safety_checker_verdicts_are_recorded_not_silently_applied(flagging_sd, data_root, tmp_path) -> None:
    runs = {}
    for mode in ("record", "blank", "off"):
        pipeline.main(
            [*_argv(flagging_sd, data_root, tmp_path / mode, "--safety_checker", mode), "--limit", "2"]
        )
        runs[mode] = (_entries(tmp_path / mode), _pixels(tmp_path / mode))
    (record, kept), (blank, blanked), (off, unchecked) = runs["record"], runs["blank"], runs["off"]
    assert [(e["safety_checker"], e["nsfw_flagged"]) for e in record] == [("record", True)] * 4
    assert [(e["safety_checker"], e["nsfw_flagged"]) for e in blank] == [("blank", True)] * 4
    assert [(e["safety_checker"], e["nsfw_flagged"]) for e in off] == [("off", None)] * 4
    assert all(np.array_equal(kept[f], unchecked[f]) for f in kept)  # record keeps the image as drawn
    assert all(kept[f].any() and not blanked[f].any() for f in kept)  # blank: the pipeline's black images


def test_safety_checker_passes_what_it_does_not_flag(tmp_path) -> None:
    import torch
    from diffusers import StableDiffusionPipeline

    from pqpp.generation.diffusers_drawer import DiffusersDrawer
    from pqpp.generation.specs import GeneratorSpec
    from pqpp.generation.tiny import save_tiny_stable_diffusion

    path = save_tiny_stable_diffusion(tmp_path, safety_threshold=1.5)
    spec = GeneratorSpec(model_id=str(path), steps=2, guidance=7.5, height=16, width=16, dtype="fp32")
    drawing = DiffusersDrawer.from_pretrained(spec, "cpu")(
        ["a cat", "a dog"], [torch.Generator().manual_seed(0)] * 2
    )
    assert drawing.nsfw_flags == [False, False]
    assert isinstance(StableDiffusionPipeline.from_pretrained(path).safety_checker, torch.nn.Module)
