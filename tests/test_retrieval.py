"""Retrieval ground truth: chunked scoring, the embedding store, and the CLI on a tiny synthetic pool."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("open_clip", reason="retrieval tests need the retrieval extra (open_clip)")

import ir_measures
from ir_measures import RR, P

from pqpp.retrieval import pipeline
from pqpp.retrieval.pool import ImageFolderPool, image_id_from_name
from pqpp.retrieval.score import score_queries
from pqpp.retrieval.store import BadImagesError

CONFIGS = Path(__file__).parent / "data"  # tiny-clip.json: a 1-layer, 16-dim open_clip model


def test_chunked_scoring_equals_the_full_matrix() -> None:
    rng = np.random.default_rng(0)
    images = rng.normal(size=(103, 8)).astype(np.float32)
    queries = rng.normal(size=(23, 8)).astype(np.float32)
    relevant = [rng.choice(103, size=rng.integers(1, 5), replace=False).tolist() for _ in range(23)]
    result = score_queries(queries, images, relevant, k=10, top_k=7, chunk=5)  # 5 does not divide 23
    full = queries @ images.T
    for q in range(23):
        order = np.argsort(-full[q], kind="stable")
        assert result["rank"][q] == 1 + np.flatnonzero(np.isin(order, relevant[q]))[0]
        assert result["precision"][q] == np.isin(order[:10], relevant[q]).sum() / 10
        assert result["top_ids"][q].tolist() == order[:7].tolist()
        np.testing.assert_allclose(result["top_scores"][q], full[q, order[:7]], rtol=1e-5)


def test_pool_ids(tmp_path: Path) -> None:
    assert image_id_from_name("000000391895.jpg") == 391895
    with pytest.raises(ValueError, match="no numeric id"):
        image_id_from_name("cat.jpg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ImageFolderPool(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="no image"):
        ImageFolderPool(tmp_path)


@pytest.fixture
def pool(tmp_path: Path, upstream_rows) -> tuple[Path, list[dict]]:
    """Random images for the first relevant images of 8 v1.0 test prompts, plus 5 distractors."""
    from PIL import Image

    rows = upstream_rows["1.0.0"]["test"][:8]
    ids = [*sorted({i for row in rows for i in row["relevant_image_ids"][:3]}), 1, 2, 3, 4, 5]
    rng = np.random.default_rng(0)
    folder = tmp_path / "pool"
    folder.mkdir()
    for image_id in ids:
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(
            folder / f"{image_id:012d}.jpg"
        )
    return folder, rows


TINY_CLIP = ["--model_name", "tiny-clip", "--pretrained", "none", "--model_config_dir", str(CONFIGS)]


@pytest.fixture(scope="session")
def tiny_blip2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Blip2ForImageTextRetrieval (1-layer vision and Q-Former, 4 query tokens), saved with an
    image processor and the packaged MiniLM (BERT) tokenizer: no download."""
    import torch
    from transformers import (
        AutoTokenizer,
        Blip2Config,
        Blip2ForImageTextRetrieval,
        Blip2QFormerConfig,
        Blip2VisionConfig,
        BlipImageProcessor,
    )

    from pqpp.train.text import default_model

    path = tmp_path_factory.mktemp("tiny-blip2")
    tokenizer = AutoTokenizer.from_pretrained(default_model())
    vision = Blip2VisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                               image_size=32, patch_size=16)  # fmt: skip
    qformer = Blip2QFormerConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                                 num_attention_heads=2, intermediate_size=64, cross_attention_frequency=1,
                                 encoder_hidden_size=32, use_qformer_text_input=True)  # fmt: skip
    config = Blip2Config(vision_config=vision.to_dict(), qformer_config=qformer.to_dict(), num_query_tokens=4,
                         image_text_hidden_size=16)  # fmt: skip
    torch.manual_seed(0)
    Blip2ForImageTextRetrieval(config).save_pretrained(path)
    BlipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def _argv(
    data_root: Path, folder: Path, out: Path, cache: Path, encoder: Sequence[str] = TINY_CLIP
) -> list[str]:
    return [
        "--images_dir", str(folder), "--output_dir", str(out), *encoder, "--data_dir", str(data_root / "v1.0"),
        "--dataset_version", "1.0.0", "--splits", "test", "--limit", "8", "--num_workers", "0",
        "--shard_size", "7", "--cache_dir", str(cache),
    ]  # fmt: skip


def _run(data_root: Path, folder: Path, out: Path, cache: Path, *extra: str) -> dict:
    return pipeline.main([*_argv(data_root, folder, out, cache), *extra])


@pytest.mark.parametrize("encoder", ["open_clip", "blip2"])
def test_cli_end_to_end_equals_ir_measures(data_root, pool, tmp_path, request, encoder) -> None:
    folder, rows = pool
    options = (
        TINY_CLIP
        if encoder == "open_clip"
        else ["--encoder", "blip2", "--model_name", str(request.getfixturevalue("tiny_blip2"))]
    )
    summary = pipeline.main([*_argv(data_root, folder, tmp_path / "out", tmp_path / "cache", options)])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["run.trec", "scores.csv"]
    with (tmp_path / "out" / "scores.csv").open() as handle:
        scored = {row["prompt_id"]: row for row in csv.DictReader(handle)}
    assert list(scored) == [row["prompt_id"] for row in rows]
    assert set(next(iter(scored.values()))) == {"prompt_id", "split", "clip_p10", "clip_rr"}
    # The run file ranks the whole pool (top_k 100 > 21 images): ir_measures on it must agree.
    run: dict[str, dict[str, float]] = {}
    for line in (tmp_path / "out" / "run.trec").read_text().splitlines():
        qid, _, doc, _, score, _ = line.split()
        run.setdefault(qid, {})[doc] = float(score)
    assert all(len(docs) == 21 for docs in run.values())
    pool_ids = {str(image_id_from_name(p.name)) for p in folder.iterdir()}
    qrels = {
        row["prompt_id"]: {str(i): 1 for i in row["relevant_image_ids"] if str(i) in pool_ids} for row in rows
    }
    expected = {
        (m.query_id, str(m.measure)): m.value for m in ir_measures.iter_calc([P @ 10, RR], qrels, run)
    }
    for prompt_id, row in scored.items():
        assert float(row["clip_p10"]) == pytest.approx(expected[(prompt_id, "P@10")], abs=1e-12)
        assert float(row["clip_rr"]) == pytest.approx(expected[(prompt_id, "RR")], abs=1e-12)
    assert summary["test"]["prompts"] == 8


def test_blip2_scores_equal_the_models_contrastive_logits(tiny_blip2: Path) -> None:
    import torch
    from PIL import Image
    from transformers import Blip2ForImageTextRetrieval

    from pqpp.retrieval.encoders import create_encoder

    encoder = create_encoder("blip2", model_name=str(tiny_blip2))
    images = [Image.new("RGB", (40, 50), colour) for colour in ("red", "navy", "olive")]
    pixels = torch.stack([encoder.transform(image) for image in images])
    texts = ["a red square", "a dark blue field"]
    ours = score_queries(
        encoder.encode_texts(texts).numpy(), encoder.encode_images(pixels).numpy(), [[0], [1]], top_k=3
    )
    model = Blip2ForImageTextRetrieval.from_pretrained(str(tiny_blip2)).eval()
    tokens = encoder.tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        logits = model(pixel_values=pixels, **tokens, use_image_text_matching_head=False).logits_per_image
    np.testing.assert_allclose(
        ours["top_scores"], np.sort(logits.T.numpy(), axis=1)[:, ::-1], rtol=1e-5, atol=1e-6
    )
    assert encoder.encode_images(pixels).shape == (3, 4, 16)  # one vector per query token


def test_a_datasets_pool_scores_like_the_folder(data_root, pool, tmp_path) -> None:
    import datasets

    folder, _ = pool
    files = sorted(folder.iterdir(), reverse=True)  # any order: the pool sorts by id
    images = datasets.Dataset.from_dict(
        {"image": [str(p) for p in files], "image_id": [image_id_from_name(p.name) for p in files]}
    ).cast_column("image", datasets.Image())
    images.save_to_disk(str(tmp_path / "images"))
    _run(data_root, folder, tmp_path / "folder", tmp_path / "cache-a")
    argv = _argv(data_root, folder, tmp_path / "dataset", tmp_path / "cache-b")
    argv[argv.index("--images_dir") : argv.index("--images_dir") + 2] = [
        "--images_dataset",
        str(tmp_path / "images"),
    ]
    pipeline.main(argv)
    assert (tmp_path / "folder" / "scores.csv").read_text() == (
        tmp_path / "dataset" / "scores.csv"
    ).read_text()
    with pytest.raises(ValueError, match="no column 'img'"):
        pipeline.main([*argv, "--image_column", "img"])


def test_faiss_flat_equals_exact_scoring_and_ivf_is_approximate(data_root, pool, tmp_path) -> None:
    pytest.importorskip("faiss", reason="approximate search needs faiss-cpu")
    from pqpp.retrieval.approximate import build_index, search_index

    folder, _ = pool
    _run(data_root, folder, tmp_path / "exact", tmp_path / "cache")
    _run(
        data_root,
        folder,
        tmp_path / "flat",
        tmp_path / "cache",
        "--faiss_factory",
        "Flat",
        "--search_depth",
        "21",
    )
    assert (tmp_path / "exact" / "scores.csv").read_text() == (tmp_path / "flat" / "scores.csv").read_text()
    # An IVF index probing one list of four misses images: RR becomes a lower bound, with a warning.
    rng = np.random.default_rng(0)
    images = rng.normal(size=(400, 8)).astype(np.float32)
    images /= np.linalg.norm(images, axis=1, keepdims=True)
    shards = [(images[i : i + 150], np.arange(i, min(i + 150, 400))) for i in range(0, 400, 150)]
    queries = images[:50] + 0.3 * rng.normal(size=(50, 8)).astype(np.float32)
    relevant = [[int(i)] for i in rng.integers(0, 400, 50)]
    exact = search_index(build_index(shards, "Flat"), queries, relevant, depth=400)
    assert exact["found"] == 1.0
    exact_rank = score_queries(queries, images, relevant, top_k=1)["rank"]
    np.testing.assert_array_equal(exact["rank"], exact_rank)
    approximate = search_index(
        build_index(shards, "IVF4,Flat", train_size=200, nprobe=1), queries, relevant, depth=400
    )
    assert approximate["found"] < 1.0
    found = approximate["rank"] > 0
    # IVF,Flat scores exactly but searches a subset: a found image can only move up the ranking
    assert np.all(approximate["rank"][found] <= exact["rank"][found])
    with pytest.raises(ValueError, match="one vector per image"):
        build_index([(np.zeros((2, 3, 4), np.float32), np.arange(2))], "Flat")


def test_rerun_encodes_only_a_missing_shard(data_root, pool, tmp_path) -> None:
    folder, _ = pool
    cache = tmp_path / "cache"
    _run(data_root, folder, tmp_path / "a", cache)
    shards = sorted(cache.rglob("shard_*[0-9].npy"))
    assert len(shards) == 3  # 21 images in shards of 7
    before = {p: p.stat().st_mtime_ns for p in shards}
    first = np.load(shards[1])
    shards[1].unlink()
    _run(data_root, folder, tmp_path / "b", cache)
    after = {p: p.stat().st_mtime_ns for p in shards}
    assert after[shards[0]] == before[shards[0]]
    assert after[shards[2]] == before[shards[2]]
    np.testing.assert_array_equal(np.load(shards[1]), first)
    assert (tmp_path / "a" / "scores.csv").read_text() == (tmp_path / "b" / "scores.csv").read_text()


def test_bad_images_are_reported_or_skipped(data_root, pool, tmp_path) -> None:
    folder, _ = pool
    (folder / "000000000777.jpg").write_bytes(b"not an image")
    with pytest.raises(BadImagesError, match=r"1 unreadable image\(s\) in the pool, e.g. ids \[777\]"):
        _run(data_root, folder, tmp_path / "out", tmp_path / "cache")
    _run(data_root, folder, tmp_path / "out", tmp_path / "cache", "--skip_bad_images")
    ids = np.concatenate([np.load(p) for p in sorted((tmp_path / "cache").rglob("shard_*.ids.npy"))])
    assert 777 not in ids
    assert len(ids) == len(ImageFolderPool(folder)) - 1


def test_unjudged_prompts_are_skipped() -> None:
    rows = [
        {"prompt_id": "a", "relevant_image_ids": [10]},
        {"prompt_id": "drawbench-1", "relevant_image_ids": []},
        {"prompt_id": "b", "relevant_image_ids": [99]},
    ]
    kept, relevant, unjudged, outside = pipeline._queries(rows, {10: 0, 11: 1}, None)
    assert [r["prompt_id"] for r in kept] == ["a"]
    assert relevant == [[0]]
    assert (unjudged, outside) == (1, 1)


def test_skipped_prompts_warn(data_root, pool, tmp_path) -> None:
    folder, _ = pool
    with pytest.warns(
        UserWarning, match=r"test: skipped 0 prompt\(s\) without relevance judgments and \d+ whose"
    ):
        pipeline.main([*_argv(data_root, folder, tmp_path / "out", tmp_path / "cache"), "--limit", "30"])


def test_unknown_encoder_and_model_fail_before_encoding(data_root, pool, tmp_path) -> None:
    folder, _ = pool
    with pytest.raises(ValueError, match=r"unknown encoder 'blip3'; registered: \['blip2', 'open_clip'\]"):
        _run(data_root, folder, tmp_path / "out", tmp_path / "cache", "--encoder", "blip3")
    with pytest.raises(ValueError, match="unknown open_clip model 'ViT-Z-99'"):
        _run(data_root, folder, tmp_path / "out", tmp_path / "cache", "--model_name", "ViT-Z-99")
    assert not (tmp_path / "cache").exists()


@pytest.mark.slow
def test_two_processes_write_the_same_embeddings(data_root, pool, tmp_path) -> None:
    """One process and two (CPU, gloo) write identical shards and scores; both at one thread per process,
    since BLAS results depend on the thread count in the last bit."""
    from conftest import launch_on_cpu

    folder, _ = pool
    script = Path(__file__).resolve().parents[1] / "retrieval" / "retrieve.py"
    for processes, name in ((1, "single"), (2, "double")):
        launch_on_cpu(processes, script, _argv(data_root, folder, tmp_path / f"out-{name}", tmp_path / name))
    single = sorted((tmp_path / "single").rglob("shard_*.npy"))
    double = sorted((tmp_path / "double").rglob("shard_*.npy"))
    assert len(single) == 6  # 3 shards: embeddings + ids
    assert [p.name for p in single] == [p.name for p in double]
    for a, b in zip(single, double, strict=True):
        np.testing.assert_array_equal(np.load(a), np.load(b))
    assert (tmp_path / "out-single" / "scores.csv").read_text() == (
        tmp_path / "out-double" / "scores.csv"
    ).read_text()
