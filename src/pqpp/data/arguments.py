"""The command-line arguments every PQPP command uses to find the dataset."""

from __future__ import annotations

import argparse

from pqpp.data.registry import DEFAULT_VERSION, RELEASES

__all__ = ["add_data_arguments"]


def add_data_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """``--dataset_version`` and ``--data_dir``."""
    parser.add_argument(
        "--dataset_version", default=DEFAULT_VERSION, choices=sorted(RELEASES), help="PQPP version"
    )
    parser.add_argument(
        "--data_dir",
        help="local copy of that version's upstream files (default: $PQPP_DATA_DIR/<version folder>, "
        "else the commit-pinned download)",
    )
