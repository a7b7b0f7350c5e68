"""The PQPP dataset: upstream releases, the ``datasets`` builder and the Hub-ready export."""

from pqpp.data.builder import Pqpp, PqppConfig
from pqpp.data.registry import DEFAULT_VERSION, RELEASES, SPLITS, get_release
from pqpp.data.schema import CONFIGS, TARGETS, features_for

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
