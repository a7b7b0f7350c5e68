#!/usr/bin/env python
"""The PQPP dataset: ``python pqpp_dataset.py build|push`` (see ``--help``).

The builder lives in :mod:`pqpp.data`; it is re-exported here so that this file is also the dataset's
builder module for tools that look for one.
"""

from pqpp.data import Pqpp, PqppConfig
from pqpp.data.cli import main

__all__ = ["Pqpp", "PqppConfig"]

if __name__ == "__main__":
    main()
