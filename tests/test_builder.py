"""The ``datasets`` builder: exact features, counts and golden rows for every version × config × split."""

from __future__ import annotations

import pickle
import shutil
from functools import cache
from pathlib import Path

import datasets
import pandas as pd
import pytest

from pqpp.data import Pqpp
from pqpp.data.registry import SPLITS, get_release
from pqpp.data.sources import ChecksumError

VERSIONS = ("1.0.0", "1.1.0")
TEXT_CONFIGS = ("default", "generation", "retrieval")
ID = ["prompt_id", "prompt", "source", "category", "coco_image_id", "coco_caption_id"]
GEN = ["glide_score", "sdxl_score", "generation_score"]
RET = ["clip_p10", "clip_rr", "blip2_p10", "blip2_rr", "retrieval_p10", "retrieval_rr"]
EXPECTED_COLUMNS = {
    "default": [*ID, *GEN, *RET, "relevant_image_ids"],
    "generation": [*ID, *GEN],
    "retrieval": [*ID, *RET, "relevant_image_ids"],
}
DTYPES = {"prompt_id": "string", "prompt": "string", "source": "string", "category": "string"}
DTYPES |= {"coco_image_id": "int64", "coco_caption_id": "int64"} | dict.fromkeys(GEN + RET, "float64")


@pytest.fixture(scope="module")
def prepared(data_root: Path, tmp_path_factory: pytest.TempPathFactory):
    cache_dir = tmp_path_factory.mktemp("builder-cache")

    @cache
    def load(version: str, config: str) -> datasets.DatasetDict:
        folder = data_root / get_release(version).folder
        builder = Pqpp(config_name=config, version=version, data_dir=str(folder), cache_dir=str(cache_dir))
        builder.download_and_prepare()
        return builder.as_dataset()

    return load


@cache
def _expected_rows(data_root: Path, version: str) -> dict[str, list[dict]]:
    """Every row, read from the upstream files with pandas and a trusted pickle load (independent of pqpp)."""
    with (data_root / "v1.0/dataset/retrieval_groundtruth.pickle").open("rb") as handle:
        qrels = {k: [int(i) for i in dict.fromkeys(v)] for k, v in pickle.load(handle).items()}

    def row(ids: dict, glide: str, sdxl: str, cp: str, cr: str, bp: str, br: str, relevant: list) -> dict:
        g, s, cp, cr, bp, br = map(float, (glide, sdxl, cp, cr, bp, br))
        scores = {"glide_score": g, "sdxl_score": s, "generation_score": (g + s) / 2}
        scores |= {"clip_p10": cp, "clip_rr": cr, "blip2_p10": bp, "blip2_rr": br}
        scores |= {"retrieval_p10": (cp + bp) / 2, "retrieval_rr": (cr + br) / 2}
        return {**ids, **scores, "relevant_image_ids": relevant}

    read = lambda path: pd.read_csv(data_root / path, dtype=str, keep_default_na=False)  # noqa: E731
    if version == "1.0.0":
        t = read("v1.0/dataset/dataset.csv")
        rows = [
            row(
                {
                    "prompt_id": f"coco-{t.id[i]}",
                    "prompt": t.best_caption[i],
                    "source": "mscoco",
                    "category": None,
                    "coco_image_id": int(t.image_id[i]),
                    "coco_caption_id": int(t.id[i]),
                },
                t.glide_score[i],
                t.sdxl_score[i],
                t.clip_pk[i],
                t.clip_rr[i],
                t.blip2_pk[i],
                t.blip2_rr[i],
                qrels[i],
            )
            for i in range(len(t))
        ]
        return {"train": rows[:6000], "validation": rows[6000:8000], "test": rows[8000:]}

    notes = read("v1.1/dataset/drawbench_annotation.csv")
    category = {
        "Mispellings": "Misspellings",
        "elephant behind tree": "Gary Marcus et al.",
        "1.6666666666666667": "Reddit",
    }
    out = {}
    for split, name in zip(SPLITS, ("train", "val", "test"), strict=True):
        g = read(f"v1.1/dataset/generative/ground_truth/glide/glide_{name}.csv")
        s = read(f"v1.1/dataset/generative/ground_truth/sdxl/sdxl_{name}.csv")
        c = read(f"v1.1/dataset/retrieval/ground_truth/clip/clip_retrieval_{name}_results.csv")
        b = read(f"v1.1/dataset/retrieval/ground_truth/blip2/blip2_retrieval_{name}_results.csv")
        rows = []
        for i in range(len(g)):
            if g.source[i] == "mscoco":
                ids = {"prompt_id": f"coco-{c.caption_id[i]}", "category": None,
                       "coco_image_id": int(g.caption_id[i]), "coco_caption_id": int(c.caption_id[i])}  # fmt: skip
                relevant = qrels[int(b["index"][i])]
            else:
                raw = notes[" Category"][int(g.caption_id[i])].strip()
                ids = {"prompt_id": f"drawbench-{g.caption_id[i]}", "category": category.get(raw, raw),
                       "coco_image_id": None, "coco_caption_id": None}  # fmt: skip
                relevant = []
            ids |= {"prompt": g.caption[i], "source": g.source[i]}
            rows.append(row(ids, g.score[i], s.score[i], c.precision[i], c.reciprocal_rank[i],
                            b.precision[i], b.reciprocal_rank[i], relevant))  # fmt: skip
        out[split] = rows
    return out


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("config", TEXT_CONFIGS)
def test_features_counts_and_golden_rows(prepared, data_root: Path, version: str, config: str) -> None:
    dataset = prepared(version, config)
    release = get_release(version)
    assert list(dataset) == list(SPLITS)
    expected_all = _expected_rows(data_root, version)
    for split in SPLITS:
        ds = dataset[split]
        assert list(ds.features) == EXPECTED_COLUMNS[config]
        for name, feature in ds.features.items():
            if name == "relevant_image_ids":
                assert feature == datasets.List(datasets.Value("int64"))
            else:
                assert feature == datasets.Value(DTYPES[name]), name
        assert ds.num_rows == release.split_sizes[split]
        expected = expected_all[split]
        golden = [0, len(expected) // 2, len(expected) - 1]
        golden += (
            [next(i for i, r in enumerate(expected) if r["source"] == "drawbench")]
            if version == "1.1.0"
            else []
        )
        for index in golden:
            assert ds[index] == {name: expected[index][name] for name in EXPECTED_COLUMNS[config]}, (
                split,
                index,
            )


@pytest.mark.parametrize("version", VERSIONS)
def test_every_row_matches_upstream(prepared, data_root: Path, version: str) -> None:
    dataset = prepared(version, "default")
    for split in SPLITS:
        assert dataset[split].to_list() == _expected_rows(data_root, version)[split]


def test_dataset_info(prepared) -> None:
    info = prepared("1.1.0", "default")["test"].info
    assert info.version.version_str == "1.1.0" and info.license == "cc-by-4.0"
    assert "Poesina" in info.citation and "DrawBench" in info.description


def test_unknown_version_fails_before_work() -> None:
    with pytest.raises(ValueError, match=r"unknown PQPP version '3\.0\.0'; valid versions"):
        Pqpp(config_name="default", version="3.0.0")


def test_unknown_config_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"BuilderConfig 'generations' not found.*'generation'"):
        Pqpp(config_name="generations")


def test_missing_data_dir_names_the_expected_path(tmp_path: Path) -> None:
    builder = Pqpp(
        config_name="default", version="1.0.0", data_dir=str(tmp_path / "nope"), cache_dir=str(tmp_path)
    )
    with pytest.raises(
        FileNotFoundError, match=r"data_dir '.*nope' is not a folder.*f88432154431.*pqpp-upstream/v1\.0"
    ):
        builder.download_and_prepare()


def _writable_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for path in dst.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dst


def test_corrupted_file_fails_its_checksum(data_root: Path, tmp_path: Path) -> None:
    root = _writable_copy(data_root / "v1.0", tmp_path / "v1.0")
    csv = root / "dataset" / "dataset.csv"
    csv.write_bytes(csv.read_bytes().replace(b"windsurfers", b"windsurfing", 1))
    builder = Pqpp(
        config_name="generation", version="1.0.0", data_dir=str(root), cache_dir=str(tmp_path / "c")
    )
    with pytest.raises(
        ChecksumError,
        match=r"dataset/dataset\.csv .* expected sha256 28adec881ea6a925\w+, got (?!28adec88)[0-9a-f]{64}",
    ):
        builder.download_and_prepare()


def test_missing_file_is_named(data_root: Path, tmp_path: Path) -> None:
    root = _writable_copy(data_root / "v1.1", tmp_path / "v1.1")  # no v1.0 sibling: the judgments are missing
    (root / "dataset/generative/ground_truth/sdxl/sdxl_val.csv").unlink()
    builder = Pqpp(config_name="default", version="1.1.0", data_dir=str(root), cache_dir=str(tmp_path / "c"))
    with pytest.raises(FileNotFoundError, match="2 upstream file") as error:
        builder.download_and_prepare()
    assert "sdxl/sdxl_val.csv" in str(error.value)
    assert "retrieval_groundtruth.pickle" in str(error.value) and str(tmp_path / "v1.0") in str(error.value)


def test_env_folder_without_the_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PQPP_DATA_DIR", str(tmp_path))
    builder = Pqpp(config_name="default", version="1.1.0", cache_dir=str(tmp_path / "c"))
    with pytest.raises(FileNotFoundError, match=r"\$PQPP_DATA_DIR is .* but '.*/v1\.1' does not exist"):
        builder.download_and_prepare()


def test_version_from_the_environment(
    data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Choosing a version without data_dir (files from $PQPP_DATA_DIR) keeps the config's name, and the two
    versions are cached apart."""
    monkeypatch.setenv("PQPP_DATA_DIR", str(data_root))
    sizes = {}
    for version in ("1.0.0", "1.1.0"):
        builder = Pqpp(config_name="generation", version=version, cache_dir=str(tmp_path))
        builder.download_and_prepare()
        assert builder.config.name == "generation"
        assert str(builder.config.version) == version
        sizes[version] = builder.as_dataset(split="test").num_rows
    assert sizes == {"1.0.0": 2000, "1.1.0": 2080}
    assert str(Pqpp(config_name="generation").config.version) == "1.1.0"  # the registered config is untouched
