"""The PQPP ``datasets`` builder.

``datasets`` ≥ 4 no longer runs loading scripts, so the builder is used directly (``python pqpp_dataset.py
build`` turns it into a Hub-ready Parquet folder that ``load_dataset("pqpp")`` reads).

Example:
    >>> from pqpp.data import Pqpp
    >>> builder = Pqpp(config_name="retrieval", version="1.0.0", data_dir="../shared/pqpp-upstream/v1.0")
    >>> builder.download_and_prepare()  # doctest: +SKIP
    >>> builder.as_dataset(split="test").num_rows  # doctest: +SKIP
    2000
"""

from __future__ import annotations

import copy
import hashlib
import inspect
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

import datasets

from pqpp.citation import PQPP_BIBTEX
from pqpp.data.images import MANUAL_DOWNLOAD_INSTRUCTIONS, ImageArchive
from pqpp.data.registry import DEFAULT_VERSION, get_release
from pqpp.data.schema import CONFIGS, features_for
from pqpp.data.sources import resolve_files
from pqpp.data.upstream import Row, read_release

__all__ = ["HOMEPAGE", "LICENSE", "Pqpp", "PqppConfig"]

HOMEPAGE = "https://github.com/Eduard6421/PQPP"
LICENSE = "cc-by-4.0"
_DESCRIPTION = (
    "PQPP: prompts (MS COCO captions and DrawBench prompts) with human judgments of how well SDXL and GLIDE "
    "draw them and how well CLIP and BLIP-2 retrieve COCO images for them."
)


@cache
def _code_hash() -> str:
    from pqpp.data import images, registry, schema, upstream

    source = "".join(inspect.getsource(module) for module in (registry, schema, upstream, images))
    return hashlib.sha256((source + inspect.getsource(Pqpp)).encode()).hexdigest()[:16]


@dataclass
class PqppConfig(datasets.BuilderConfig):
    """A PQPP config.

    Attributes:
        images_dir: the unpacked image archive, for the ``images`` config (see
            :data:`pqpp.data.images.MANUAL_DOWNLOAD_INSTRUCTIONS`).
    """

    images_dir: str | None = None


class Pqpp(datasets.GeneratorBasedBuilder):
    """PQPP: prompts, human generation scores, retrieval scores and relevance judgments.

    Configs: ``default``, ``generation``, ``retrieval``, ``images``. Versions: ``1.1.0`` (default, CVPR 2025,
    with DrawBench) and ``1.0.0``, chosen with ``version=``. Files come from ``data_dir=`` (one release's
    folder), ``$PQPP_DATA_DIR`` (a folder of releases) or the pinned upstream URLs.
    """

    VERSION = datasets.Version(DEFAULT_VERSION)
    BUILDER_CONFIG_CLASS = PqppConfig
    BUILDER_CONFIGS: ClassVar[list[PqppConfig]] = [
        PqppConfig(name=name, version=DEFAULT_VERSION, description=text) for name, text in CONFIGS.items()
    ]
    DEFAULT_CONFIG_NAME = "default"

    def __init__(
        self, *args: Any, dataset_name: str = "pqpp", hash: str | None = None, **kwargs: Any
    ) -> None:
        # Validate the version before any work.
        if kwargs.get("version") is not None:
            kwargs["version"] = datasets.Version(get_release(str(kwargs["version"])).version)
        # The cache is keyed by the code that makes the rows, so a changed reader never serves stale rows.
        super().__init__(*args, dataset_name=dataset_name, hash=hash or _code_hash(), **kwargs)

    def _create_builder_config(
        self,
        config_name: str | None = None,
        custom_features: Any = None,
        config_id: str | None = None,
        **config_kwargs: Any,
    ) -> tuple[datasets.BuilderConfig, str]:
        # The version is not part of a config's identity (the cache path holds it), so choosing one must not
        # make datasets treat the config as a custom one with a clashing name.
        version = config_kwargs.pop("version", None)
        config, config_id = super()._create_builder_config(
            config_name, custom_features, config_id, **config_kwargs
        )
        if version is not None and str(version) != str(config.version):
            config = copy.deepcopy(config)
            config.version = version
        return config, config_id

    @property
    def manual_download_instructions(self) -> str | None:
        return MANUAL_DOWNLOAD_INSTRUCTIONS if self.config.name == "images" else None

    def _info(self) -> datasets.DatasetInfo:
        release = get_release(str(self.config.version))
        return datasets.DatasetInfo(
            description=f"{_DESCRIPTION} Version {release.version}: {release.description}.",
            features=features_for(self.config.name),
            homepage=HOMEPAGE,
            citation=PQPP_BIBTEX,
            license=LICENSE,
        )

    def _split_generators(self, dl_manager: datasets.DownloadManager) -> list[datasets.SplitGenerator]:
        release = get_release(str(self.config.version))
        archive = None
        if self.config.name == "images":
            # Locate the images first: a missing folder should fail before anything is read.
            archive = ImageArchive.locate(self.config.images_dir, self.config.data_dir)
        paths = resolve_files(release, self.config.data_dir, download=dl_manager.download)
        splits = read_release(release, paths)
        if archive is not None:
            archive.check(row for rows in splits.values() for row in rows)
        return [
            datasets.SplitGenerator(name=split, gen_kwargs={"rows": rows, "archive": archive})
            for split, rows in splits.items()
        ]

    def _generate_examples(self, rows: list[Row], archive: ImageArchive | None):
        columns = [name for name in self.info.features if name in rows[0]] if rows else []
        for index, row in enumerate(rows):
            example = {name: row[name] for name in columns}
            if archive is not None:
                example |= archive.files(row)
            yield datasets.builder.Key(0, index), example
