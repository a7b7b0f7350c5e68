"""`python pqpp_dataset.py build|push`: the Hub-ready folder, its card, and the push."""

from __future__ import annotations

import json
import os
from pathlib import Path

import datasets
import pytest
import yaml

from pqpp.data import cli
from pqpp.data.hub import BUILD_INFO, build_folder, push_folder, render_card
from pqpp.data.registry import SPLITS
from pqpp.data.schema import features_for
from pqpp.data.sources import ChecksumError

TEXT_CONFIGS = ("default", "generation", "retrieval")


@pytest.fixture(scope="module")
def built(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("hub")
    return {
        version: build_folder(out / version / "pqpp", version=version, data_dir=data_root / folder)
        for version, folder in (("1.0.0", "v1.0"), ("1.1.0", "v1.1"))
    }


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_build_round_trips_every_config(built, upstream_rows, version: str) -> None:
    folder = built[version]
    for config in TEXT_CONFIGS:
        columns = list(features_for(config))
        for split in SPLITS:
            loaded = datasets.load_dataset(str(folder), config, split=split)
            assert loaded.features == features_for(config)
            assert loaded.to_list() == [{c: row[c] for c in columns} for row in upstream_rows[version][split]]


def test_load_dataset_pqpp_from_the_repository_root(built, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(built["1.1.0"].parent)
    default = datasets.load_dataset("pqpp")
    assert {split: ds.num_rows for split, ds in default.items()} == {
        "train": 6080,
        "validation": 2040,
        "test": 2080,
    }
    assert "relevant_image_ids" in default["test"].features
    test = datasets.load_dataset("pqpp", "retrieval", split="test")
    assert test.num_rows == 2080 and "glide_score" not in test.features


def test_card(built) -> None:
    text = (built["1.1.0"] / "README.md").read_text()
    _, header, body = text.split("---\n", 2)
    meta = yaml.safe_load(header)
    assert meta["license"] == "cc-by-4.0"
    assert [c["config_name"] for c in meta["configs"]] == list(TEXT_CONFIGS)  # no images: not built
    assert meta["configs"][0]["default"] is True
    assert meta["configs"][2]["data_files"][2] == {"split": "test", "path": "retrieval/test-*"}
    splits = {s["name"]: s["num_examples"] for s in meta["dataset_info"][0]["splits"]}
    assert splits == {"train": 6080, "validation": 2040, "test": 2080}
    assert "| test | 2,080 | 2,000 | 80 |" in body
    assert "1f9734deb1675bb952c302ed3a2f84060a6fbdf6" in body and "${" not in body
    for section in (
        "## Summary",
        "## Fields",
        "## Splits",
        "## Usage",
        "## Limitations",
        "## Citation",
        "## License",
    ):
        assert section in body
    info = json.loads((built["1.1.0"] / BUILD_INFO).read_text())
    assert render_card(info, repo_id="org/pqpp").count('load_dataset("org/pqpp"') == 3


def test_rebuild_replaces_a_build_and_a_failed_build_keeps_it(data_root: Path, tmp_path: Path) -> None:
    out = build_folder(
        tmp_path / "pqpp", version="1.0.0", data_dir=data_root / "v1.0", configs=["generation"]
    )
    assert sorted(p.name for p in out.iterdir()) == ["README.md", "generation", BUILD_INFO]
    build_folder(out, version="1.0.0", data_dir=data_root / "v1.0", configs=["retrieval"])
    assert sorted(p.name for p in out.iterdir()) == ["README.md", BUILD_INFO, "retrieval"]
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    bad = tmp_path / "bad" / "v1.0"
    bad.mkdir(parents=True)
    for path in (data_root / "v1.0").rglob("*"):
        if path.is_file():
            (bad / path.relative_to(data_root / "v1.0")).parent.mkdir(parents=True, exist_ok=True)
            (bad / path.relative_to(data_root / "v1.0")).write_bytes(path.read_bytes())
    (bad / "dataset/retrieval_groundtruth.pickle").write_bytes(b"not a pickle")
    with pytest.raises(ChecksumError, match="retrieval_groundtruth.pickle"):
        build_folder(out, version="1.0.0", data_dir=bad)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad", "pqpp"]  # no staging folder left


def test_build_refuses_to_replace_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "pqpp").mkdir()
    (tmp_path / "pqpp" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a pqpp build folder"):
        build_folder(tmp_path / "pqpp", version="1.0.0", data_dir=tmp_path)
    assert (tmp_path / "pqpp" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"version": "0.9"}, ValueError, "unknown PQPP version"),
        ({"configs": ["everything"]}, ValueError, "unknown PQPP config 'everything'"),
        ({"data_dir": "/nonexistent/v1.1"}, FileNotFoundError, "is not a folder"),
        ({"configs": ["images"], "images_dir": "/nonexistent/images"}, FileNotFoundError, "image folder"),
    ],
)
def test_build_checks_its_input_before_writing(tmp_path: Path, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        build_folder(tmp_path / "pqpp", **kwargs)
    assert list(tmp_path.iterdir()) == []


class FakeHub:
    """Records the calls push_folder makes on an HfApi."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple, dict]] = []

    def __getattr__(self, name: str):
        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return f"https://huggingface.co/datasets/{args[0] if args else kwargs.get('repo_id')}"

        return call


@pytest.fixture
def online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")


def test_push_uploads_and_tags(built, online) -> None:
    hub = FakeHub()
    url = push_folder(built["1.0.0"], repo_id="org/pqpp", api=hub)
    assert url == "https://huggingface.co/datasets/org/pqpp"
    assert [name for name, _, _ in hub.calls] == ["create_repo", "upload_folder", "create_tag"]
    assert hub.calls[0][2] == {"repo_type": "dataset", "private": None, "exist_ok": True}
    assert hub.calls[1][2]["folder_path"] == str(built["1.0.0"]) and hub.calls[1][2]["repo_type"] == "dataset"
    assert hub.calls[2][2] == {"tag": "v1.0.0", "repo_type": "dataset", "exist_ok": True}
    assert 'load_dataset("org/pqpp")' in (built["1.0.0"] / "README.md").read_text()


@pytest.mark.parametrize(
    ("env", "repo_id", "error", "match"),
    [
        ({"HF_HUB_OFFLINE": "1", "HF_TOKEN": "x"}, "org/pqpp", RuntimeError, "HF_HUB_OFFLINE is set"),
        ({}, "org/pqpp", RuntimeError, "no Hugging Face token"),
        ({"HF_TOKEN": "x"}, "org/pq pp", ValueError, "invalid Hub repo id"),
        ({"HF_TOKEN": "x"}, "pqpp", ValueError, "expected 'ORG/NAME'"),
    ],
)
def test_push_fails_before_any_request(
    built, monkeypatch, tmp_path: Path, env, repo_id, error, match
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # no stored token
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    hub = FakeHub()
    with pytest.raises(error, match=match):
        push_folder(built["1.0.0"], repo_id=repo_id, api=hub)
    assert hub.calls == []


def test_push_needs_a_built_folder(tmp_path: Path, online) -> None:
    with pytest.raises(
        FileNotFoundError, match="not a pqpp build folder; run `python pqpp_dataset.py build`"
    ):
        push_folder(tmp_path, repo_id="org/pqpp", api=FakeHub())


def test_cli_help_documents_both_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.parse_args(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "build" in out and "push" in out and "load_dataset" in out
    with pytest.raises(SystemExit):
        cli.parse_args(["build", "--help"])
    assert "--data_dir" in capsys.readouterr().out


def test_cli_build(data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["build", "--version", "1.0.0", "--data_dir", str(data_root / "v1.0"), "--configs", "generation",
              "--output", str(tmp_path / "out")])  # fmt: skip
    assert "built" in capsys.readouterr().out
    assert datasets.load_dataset(str(tmp_path / "out"), "generation", split="test").num_rows == 2000


def test_cli_rejects_an_unknown_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["build", "--version", "2.0.0"])
    assert "invalid choice: '2.0.0'" in capsys.readouterr().err


def test_entry_point_script_runs(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, str(root / "pqpp_dataset.py"), "push", "--help"],
        capture_output=True, text=True, check=True, env={**os.environ},
    )  # fmt: skip
    assert "--repo_id" in result.stdout
