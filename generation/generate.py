#!/usr/bin/env python
"""Generate PQPP images with a diffusers model (see ``--help``); the logic is :mod:`pqpp.generation.pipeline`.

accelerate launch generation/generate.py --generator sdxl --layout archive --output_dir images
"""

from pqpp.generation.pipeline import main

if __name__ == "__main__":
    main()
