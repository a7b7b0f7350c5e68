from __future__ import annotations

import re
from pathlib import Path

import pytest

from pqpp.data.registry import (
    COMMIT_V1_0,
    COMMIT_V1_1,
    RELEASES,
    Release,
    get_release,
    register_release,
)
from pqpp.data.sources import ChecksumError, resolve_files


def test_releases_and_default() -> None:
    assert sorted(RELEASES) == ["1.0.0", "1.1.0"]
    assert get_release().version == "1.1.0"
    assert get_release("1.0.0").split_sizes == {"train": 6000, "validation": 2000, "test": 2000}
    assert get_release("1.1.0").split_sizes == {"train": 6080, "validation": 2040, "test": 2080}


def test_unknown_version_names_the_valid_ones() -> None:
    with pytest.raises(
        ValueError, match=r"unknown PQPP version '2\.0\.0'; valid versions: \['1\.0\.0', '1\.1\.0'\]"
    ):
        get_release("2.0.0")


def test_registering_a_version_twice_fails() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_release(get_release("1.0.0"))


def test_split_sizes_must_cover_the_splits() -> None:
    with pytest.raises(ValueError, match="split_sizes"):
        Release("9.0.0", "v9", "0" * 40, "v1.0", {}, {"train": 1}, {})


@pytest.mark.parametrize("version", sorted(RELEASES))
def test_urls_are_pinned_to_a_commit(version: str) -> None:
    for file in get_release(version).files.values():
        assert re.fullmatch(r"[0-9a-f]{64}", file.sha256)
        assert file.commit in (COMMIT_V1_0, COMMIT_V1_1)
        assert file.url == f"https://raw.githubusercontent.com/Eduard6421/PQPP/{file.commit}/{file.path}"


def test_v1_1_registry_matches_the_manifest(data_root: Path) -> None:
    manifest = (data_root / "v1.1" / "MANIFEST.txt").read_text().splitlines()[1:]
    listed = {path: (sha, int(rows)) for path, sha, _, rows in (line.split("\t") for line in manifest)}
    files = {
        f.path: (f.sha256, f.records) for f in get_release("1.1.0").files.values() if f.commit == COMMIT_V1_1
    }
    assert files == listed


@pytest.mark.parametrize("version", sorted(RELEASES))
def test_local_copy_matches_the_registry(data_root: Path, version: str) -> None:
    release = get_release(version)
    assert (data_root / release.folder / "COMMIT").read_text().strip() == release.commit
    paths = resolve_files(release, data_root / release.folder)
    assert set(paths) == set(release.files)
    # v1.1 reuses v1.0's judgments, found in the sibling folder.
    assert paths["qrels"] == data_root / "v1.0" / "dataset" / "retrieval_groundtruth.pickle"


def test_data_dir_env_names_the_folder_of_releases(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PQPP_DATA_DIR", str(data_root))
    assert resolve_files(get_release("1.0.0"))["dataset"] == data_root / "v1.0" / "dataset" / "dataset.csv"


def test_download_uses_pinned_urls_and_verifies(data_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PQPP_DATA_DIR", raising=False)
    release = get_release("1.1.0")
    by_url = {
        f.url: p
        for f, p in ((release.files[r], p) for r, p in resolve_files(release, data_root / "v1.1").items())
    }
    requested = {}

    def download(urls: dict[str, str]) -> dict[str, str]:
        requested.update(urls)
        return {role: str(by_url[url]) for role, url in urls.items()}

    paths = resolve_files(release, download=download)
    assert requested == {role: f.url for role, f in release.files.items()}
    assert paths["qrels"].name == "retrieval_groundtruth.pickle"

    def corrupt_download(urls: dict[str, str]) -> dict[str, str]:
        got = download(urls)
        got["drawbench_split"] = got["drawbench_annotation"]
        return got

    with pytest.raises(ChecksumError, match="drawbench_split.csv"):
        resolve_files(release, download=corrupt_download)


def test_no_local_copy_and_no_downloader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PQPP_DATA_DIR", raising=False)
    with pytest.raises(FileNotFoundError, match="pass data_dir"):
        resolve_files(get_release("1.0.0"))
