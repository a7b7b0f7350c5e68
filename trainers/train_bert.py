#!/usr/bin/env python
"""Fine-tune a text encoder on PQPP (see ``--help``); the logic is :mod:`pqpp.train.text`.

accelerate launch trainers/train_bert.py --output_dir runs/minilm --data_dir ../shared/pqpp-upstream/v1.1
"""

from pqpp.train.text import main

if __name__ == "__main__":
    main()
