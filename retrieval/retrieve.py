#!/usr/bin/env python
"""Recompute PQPP retrieval ground truth for a retriever and an image pool (see ``--help``); the logic is
:mod:`pqpp.retrieval.pipeline`.

    accelerate launch retrieval/retrieve.py --images_dir coco/train2017 --output_dir runs/clip
"""

from pqpp.retrieval.pipeline import main

if __name__ == "__main__":
    main()
