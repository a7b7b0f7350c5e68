"""The canonical rows of both releases, checked against the upstream files read independently."""

from __future__ import annotations

import shutil
import statistics
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from pqpp.data.registry import SPLITS, get_release
from pqpp.data.safe_pickle import safe_load_file
from pqpp.data.sources import resolve_files
from pqpp.data.upstream import UpstreamFormatError, read_release

pytestmark = pytest.mark.usefixtures("data_root")


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize(
    ("version", "sizes"),
    [
        ("1.0.0", {"train": {"mscoco": 6000}, "validation": {"mscoco": 2000}, "test": {"mscoco": 2000}}),
        (
            "1.1.0",
            {
                "train": {"mscoco": 6000, "drawbench": 80},
                "validation": {"mscoco": 2000, "drawbench": 40},
                "test": {"mscoco": 2000, "drawbench": 80},
            },
        ),
    ],
)
def test_split_and_source_sizes(upstream_rows, version: str, sizes) -> None:
    assert {
        s: dict(Counter(r["source"] for r in rows)) for s, rows in upstream_rows[version].items()
    } == sizes
    assert list(upstream_rows[version]) == list(SPLITS)


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_means_ids_and_split_disjointness(upstream_rows, version: str) -> None:
    seen_ids, seen_prompts = {}, {}
    for split, rows in upstream_rows[version].items():
        for row in rows:
            assert row["generation_score"] == (row["glide_score"] + row["sdxl_score"]) / 2
            assert row["retrieval_p10"] == (row["clip_p10"] + row["blip2_p10"]) / 2
            assert row["retrieval_rr"] == (row["clip_rr"] + row["blip2_rr"]) / 2
            assert -1 <= row["glide_score"] <= 2 and -1 <= row["sdxl_score"] <= 2
            assert 0 <= row["clip_p10"] <= 1 and 0 <= row["blip2_rr"] <= 1
            assert seen_ids.setdefault(row["prompt_id"], split) == split
            assert seen_prompts.setdefault(row["prompt"], split) == split
    assert len(seen_ids) == len(seen_prompts) == sum(map(len, upstream_rows[version].values()))


def test_upstream_averages_agree_with_the_means(data_root: Path, upstream_rows) -> None:
    table = pd.read_csv(data_root / "v1.0/dataset/dataset.csv", keep_default_na=False)
    rows = [r for split in SPLITS for r in upstream_rows["1.0.0"][split]]
    for ours, theirs in [
        ("generation_score", "avg_generative_score"),
        ("retrieval_p10", "retrieval_avg_pk"),
        ("retrieval_rr", "retrieval_avg_rr"),
    ]:
        diff = (pd.Series([r[ours] for r in rows]) - table[theirs]).abs()
        assert diff.max() <= 5e-16, (ours, diff.max())


def test_v1_0_splits_are_the_official_split_files(data_root: Path, upstream_rows) -> None:
    for split, name in zip(SPLITS, ("train", "validation", "test"), strict=True):
        official = pd.read_csv(data_root / f"v1.0/dataset/{name}.csv", keep_default_na=False)
        rows = upstream_rows["1.0.0"][split]
        assert [r["prompt_id"] for r in rows] == [f"coco-{i}" for i in official["id"]]
        assert [r["prompt"] for r in rows] == list(official["best_caption"])
        # The split files re-serialise some floats: they agree to the last bit or two.
        assert (pd.Series([r["clip_rr"] for r in rows]) - official["clip_rr"]).abs().max() <= 1e-16


def test_v1_1_mscoco_rows_equal_v1_0(upstream_rows) -> None:
    old = {r["prompt_id"]: (split, r) for split, rows in upstream_rows["1.0.0"].items() for r in rows}
    same = ("prompt", "coco_image_id", "coco_caption_id", "clip_p10", "clip_rr", "blip2_p10", "blip2_rr")
    compared = 0
    for split, rows in upstream_rows["1.1.0"].items():
        for row in rows:
            if row["source"] == "mscoco":
                old_split, old_row = old[row["prompt_id"]]
                assert old_split == split
                assert {c: row[c] for c in (*same, "relevant_image_ids")} == {
                    c: old_row[c] for c in (*same, "relevant_image_ids")
                }
                compared += 1
    assert compared == 10_000


def test_erratum_row_gets_its_own_judgments(upstream_rows) -> None:
    """CLIP's train file states row 2029 for caption 231871; its judgments are v1.0 row 2028's."""
    v10 = [r for split in SPLITS for r in upstream_rows["1.0.0"][split]]
    assert v10[2028]["prompt_id"] == "coco-231871" and v10[2029]["prompt_id"] == "coco-760738"
    (row,) = [r for r in upstream_rows["1.1.0"]["train"] if r["prompt_id"] == "coco-231871"]
    assert row["relevant_image_ids"] == v10[2028]["relevant_image_ids"] != v10[2029]["relevant_image_ids"]


def test_drawbench_rows(data_root: Path, upstream_rows) -> None:
    rows = [r for split in SPLITS for r in upstream_rows["1.1.0"][split] if r["source"] == "drawbench"]
    # DrawBench's published category sizes (Saharia et al., 2022).
    assert Counter(r["category"] for r in rows) == {
        "Colors": 25, "Conflicting": 10, "Counting": 19, "DALL-E": 20, "Descriptions": 20,
        "Gary Marcus et al.": 10, "Misspellings": 10, "Positional": 20, "Rare Words": 7, "Reddit": 38, "Text": 21,
    }  # fmt: skip
    assert all(r["relevant_image_ids"] == [] and r["coco_image_id"] is None for r in rows)
    prompts = pd.read_csv(
        data_root / "v1.1/dataset/drawbench_annotation.csv", dtype=str, keep_default_na=False
    )
    assert {r["prompt_id"]: r["prompt"] for r in rows} == {
        f"drawbench-{i}": p for i, p in enumerate(prompts["Prompt"])
    }
    by_id = {r["prompt_id"]: r for r in rows}
    assert (
        by_id["drawbench-98"]["category"] == "Gary Marcus et al."
    )  # category and parsed prompt swapped upstream
    assert by_id["drawbench-178"]["category"] == "Reddit"  # a field missing upstream
    assert by_id["drawbench-110"]["category"] == "Misspellings"  # "Mispellings" upstream


def test_relevance_judgments(data_root: Path, upstream_rows) -> None:
    lists = [r["relevant_image_ids"] for split in SPLITS for r in upstream_rows["1.0.0"][split]]
    raw = safe_load_file(data_root / "v1.0/dataset/retrieval_groundtruth.pickle")
    assert sum(len(set(v)) < len(v) for v in raw.values()) == 571  # lists that repeat an id upstream
    assert lists == [list(dict.fromkeys(raw[i])) for i in range(10_000)]  # once each, first-occurrence order
    sizes = [len(x) for x in lists]
    assert (min(sizes), statistics.median(sizes), max(sizes)) == (1, 6, 1223)
    # 2,565 upstream lists have one element; 154 more hold one id repeated.
    assert [len(v) for v in raw.values()].count(1) == 2565 and sizes.count(1) == 2719
    assert lists[0] == [363951] and lists[1] == [446463, 568311]


def test_prompts_are_not_stripped(upstream_rows) -> None:
    prompts = [r["prompt"] for split in SPLITS for r in upstream_rows["1.1.0"][split]]
    assert upstream_rows["1.1.0"]["test"][0]["prompt"] == "A street corner of a city with a road sign "
    assert sum(p != p.strip() for p in prompts) > 1000


def _copy(data_root: Path, tmp_path: Path) -> Path:
    shutil.copytree(data_root, tmp_path / "up")
    for path in (tmp_path / "up").rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return tmp_path / "up"


def test_a_disagreement_between_files_is_an_error(data_root: Path, tmp_path: Path) -> None:
    root = _copy(data_root, tmp_path)
    release = get_release("1.1.0")
    paths = resolve_files(release, root / "v1.1")
    sdxl = paths["sdxl/test"]
    text = sdxl.read_text(encoding="utf-8")
    sdxl.write_text(
        text.replace("A street corner of a city", "A street corner of a town", 1), encoding="utf-8"
    )
    with pytest.raises(
        UpstreamFormatError, match=r"test row 0 .*files disagree: \{'glide': 'A street corner of a city"
    ):
        read_release(release, paths)


def test_a_wrong_row_count_is_an_error(data_root: Path, tmp_path: Path) -> None:
    root = _copy(data_root, tmp_path)
    release = get_release("1.0.0")
    paths = resolve_files(release, root / "v1.0")
    lines = paths["dataset"].read_text(encoding="utf-8").splitlines(keepends=True)
    paths["dataset"].write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(UpstreamFormatError, match="dataset.csv: expected 10000 data rows, got 9999"):
        read_release(release, paths)
