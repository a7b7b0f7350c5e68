"""The Hub-ready PQPP folder: building it from the builder, and pushing it to the Hub.

``build_folder`` writes ``<output>/<config>/<split>-NNNNN-of-NNNNN.parquet`` for each config plus a
``README.md`` rendered from ``dataset_card.md`` (whose YAML ``configs:`` lets ``load_dataset`` find the
Parquet files) and ``pqpp_build.json`` (what was built, from which upstream commit). The folder is
written beside the target and swapped in only when complete, so an interrupted or failed build never
leaves a half-written folder and never loses the previous one.

Example:
    >>> build_folder("pqpp", version="1.1.0", data_dir="../shared/pqpp-upstream/v1.1")  # doctest: +SKIP
    >>> from datasets import load_dataset
    >>> load_dataset("pqpp", "retrieval", split="test").num_rows  # doctest: +SKIP
    2080
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import string
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from pqpp.citation import PQPP_BIBTEX
from pqpp.data.builder import HOMEPAGE, Pqpp
from pqpp.data.images import ImageArchive
from pqpp.data.registry import SPLITS, get_release
from pqpp.data.schema import features_for
from pqpp.data.sources import local_root
from pqpp.hubutils import check_push

__all__ = ["BUILD_INFO", "DEFAULT_CONFIGS", "build_folder", "push_folder", "render_card"]

logger = logging.getLogger(__name__)

BUILD_INFO = "pqpp_build.json"
CARD_TEMPLATE = Path(__file__).with_name("dataset_card.md")
DEFAULT_CONFIGS = ("default", "generation", "retrieval")
MAX_SHARD_SIZE = "500MB"
_SHARD = re.compile(r"^pqpp-(?P<split>\w+?)(?:-(?P<shard>\d{5})-of-(?P<total>\d{5}))?\.parquet$")


def render_card(info: dict[str, Any], repo_id: str = "pqpp") -> str:
    """The dataset card for a build described by ``info`` (the content of ``pqpp_build.json``)."""
    text = CARD_TEMPLATE.read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    meta = yaml.safe_load(header)
    meta["configs"] = [c for c in meta["configs"] if c["config_name"] in info["configs"]]
    meta["dataset_info"] = [info["configs"][c["config_name"]] for c in meta["configs"]]
    release = get_release(info["version"])
    counts = {
        name: {s["name"]: s["num_examples"] for s in c["splits"]} for name, c in info["configs"].items()
    }
    first = counts[next(iter(counts))]
    sources = release.source_sizes
    table = ["| split | rows | MS COCO | DrawBench |", "|---|---:|---:|---:|"]
    table += [
        f"| {s} | {first[s]:,} | {sources[s].get('mscoco', 0):,} | {sources[s].get('drawbench', 0):,} |"
        for s in SPLITS
    ]
    body = string.Template(body).substitute(
        version=release.version,
        description=release.description,
        commit=release.commit,
        splits_table="\n".join(table),
        repo_id=repo_id,
        citation=PQPP_BIBTEX,
        homepage=HOMEPAGE,
    )
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n" + body


def _check_output(output: Path) -> None:
    if output.exists() and (
        not output.is_dir() or (any(output.iterdir()) and not (output / BUILD_INFO).is_file())
    ):
        raise FileExistsError(
            f"{str(output)!r} exists and is not a pqpp build folder (no {BUILD_INFO}); refusing to replace it"
        )


def _write_config(builder: Pqpp, staging: Path, work: Path) -> dict[str, Any]:
    """Prepare one config as Parquet and move its shards into ``staging/<config>/``."""
    prepared = work / builder.config.name
    builder.download_and_prepare(
        output_dir=str(prepared), file_format="parquet", max_shard_size=MAX_SHARD_SIZE
    )
    target = staging / builder.config.name
    target.mkdir(parents=True)
    for path in prepared.glob("pqpp-*.parquet"):
        match = _SHARD.match(path.name)
        if match is None:
            raise RuntimeError(f"unexpected file {path.name} written by datasets")
        shard, total = int(match["shard"] or 0), int(match["total"] or 1)
        path.rename(target / f"{match['split']}-{shard:05d}-of-{total:05d}.parquet")
    info = builder.info._to_yaml_dict()
    info.pop("download_size", None)
    return {"config_name": builder.config.name, **info}


def build_folder(
    output: str | os.PathLike = "pqpp",
    *,
    version: str | None = None,
    data_dir: str | os.PathLike | None = None,
    images_dir: str | os.PathLike | None = None,
    configs: Sequence[str] | None = None,
) -> Path:
    """Build the Hub-ready folder of one PQPP version.

    Args:
        output: the folder to write; an earlier build there is replaced once the new one is complete.
        version: PQPP version (default ``1.1.0``).
        data_dir: local copy of the release (else ``$PQPP_DATA_DIR``, else download).
        images_dir: the image archive; with it, the ``images`` config is built too.
        configs: configs to build (default: ``default``, ``generation``, ``retrieval``, and ``images``
            when ``images_dir`` is given).

    Returns:
        The output folder.

    Raises:
        ValueError: unknown version or config.
        FileNotFoundError: missing local data or images (before anything is written).
        FileExistsError: ``output`` exists and is not an earlier build.
    """
    release = get_release(version)
    configs = list(configs or (*DEFAULT_CONFIGS, *(("images",) if images_dir else ())))
    for config in configs:
        features_for(config)
    output = Path(output)
    _check_output(output)
    local_root(release, data_dir)  # fail on a wrong data_dir before any work
    if "images" in configs:
        ImageArchive.locate(images_dir, data_dir)

    staging = output.parent / f"{output.name}.building-{uuid.uuid4().hex[:8]}"
    staging.mkdir(parents=True)
    try:
        with tempfile.TemporaryDirectory(prefix="pqpp-build-") as work:
            infos = {}
            for config in configs:
                logger.info("building PQPP %s config %r", release.version, config)
                builder = Pqpp(
                    config_name=config,
                    version=release.version,
                    data_dir=None if data_dir is None else str(data_dir),
                    images_dir=None if images_dir is None else str(images_dir),
                    cache_dir=str(Path(work) / "cache"),
                )
                infos[config] = _write_config(builder, staging, Path(work))
        info = {"version": release.version, "upstream_commit": release.commit, "configs": infos}
        (staging / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (staging / "README.md").write_text(render_card(info), encoding="utf-8")
        _swap_in(staging, output)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    logger.info("wrote %s (PQPP %s: %s)", output, release.version, ", ".join(configs))
    return output


def _swap_in(staging: Path, output: Path) -> None:
    """Replace ``output`` by ``staging`` so that one of the two complete folders always exists."""
    old = None
    if output.exists():
        old = output.parent / f"{output.name}.old-{uuid.uuid4().hex[:8]}"
        output.rename(old)
    staging.rename(output)
    if old is not None:
        shutil.rmtree(old)


def push_folder(
    folder: str | os.PathLike = "pqpp",
    *,
    repo_id: str,
    private: bool | None = None,
    token: str | None = None,
    api: Any = None,
) -> str:
    """Upload a built folder to the Hub dataset repo ``repo_id`` and tag it ``v<version>``.

    The README is re-rendered with ``repo_id`` in its usage examples. Everything is checked before any
    request: the repo id, the folder, offline mode and the token.

    Returns:
        The URL of the dataset repository.

    Raises:
        ValueError: invalid ``repo_id``.
        FileNotFoundError: ``folder`` is not a pqpp build.
        RuntimeError: offline mode, or no token.
    """
    from huggingface_hub import HfApi

    token = check_push(repo_id, token)
    folder = Path(folder)
    if not (folder / BUILD_INFO).is_file():
        raise FileNotFoundError(
            f"{str(folder)!r} is not a pqpp build folder; run `python pqpp_dataset.py build` first"
        )

    info = json.loads((folder / BUILD_INFO).read_text(encoding="utf-8"))
    (folder / "README.md").write_text(render_card(info, repo_id=repo_id), encoding="utf-8")
    api = api or HfApi(token=token)
    url = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    api.upload_folder(
        repo_id=repo_id,
        folder_path=str(folder),
        repo_type="dataset",
        commit_message=f"PQPP {info['version']} (upstream {info['upstream_commit'][:7]})",
    )
    api.create_tag(repo_id, tag=f"v{info['version']}", repo_type="dataset", exist_ok=True)
    logger.info("pushed %s to %s (tag v%s)", folder, repo_id, info["version"])
    return str(url)
