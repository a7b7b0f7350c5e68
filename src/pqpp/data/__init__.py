"""The PQPP dataset: upstream releases, the ``datasets`` builder and the Hub-ready export."""

import datasets

from pqpp.data.builder import Pqpp, PqppConfig
from pqpp.data.registry import DEFAULT_VERSION, RELEASES, SPLITS, get_release
from pqpp.data.schema import CONFIGS, TARGETS, features_for


def load_pqpp(
    version: str | None = None,
    data_dir: str | None = None,
    config: str = "default",
    cache_dir: str | None = None,
) -> datasets.DatasetDict:
    """Every split of one PQPP config and version, through the builder (files from ``data_dir``,
    ``$PQPP_DATA_DIR`` or the pinned download)."""
    builder = Pqpp(config_name=config, version=version, data_dir=data_dir, cache_dir=cache_dir)
    builder.download_and_prepare()
    return builder.as_dataset()


__all__ = [
    "CONFIGS",
    "DEFAULT_VERSION",
    "RELEASES",
    "SPLITS",
    "TARGETS",
    "Pqpp",
    "PqppConfig",
    "features_for",
    "get_release",
]
