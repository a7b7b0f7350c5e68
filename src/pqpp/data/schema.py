"""The canonical PQPP columns and the ``datasets.Features`` of each config.

Example:
    >>> list(features_for("generation"))[-3:]
    ['glide_score', 'sdxl_score', 'generation_score']
"""

from __future__ import annotations

import datasets

__all__ = [
    "CONFIGS",
    "GENERATION_TARGETS",
    "ID_COLUMNS",
    "RETRIEVAL_TARGETS",
    "SOURCES",
    "TARGETS",
    "features_for",
]

SOURCES = ("mscoco", "drawbench")

ID_COLUMNS = {
    "prompt_id": datasets.Value("string"),
    "prompt": datasets.Value("string"),
    "source": datasets.Value("string"),
    "category": datasets.Value("string"),
    "coco_image_id": datasets.Value("int64"),
    "coco_caption_id": datasets.Value("int64"),
}
GENERATION_TARGETS = ("glide_score", "sdxl_score", "generation_score")
RETRIEVAL_TARGETS = ("clip_p10", "clip_rr", "blip2_p10", "blip2_rr", "retrieval_p10", "retrieval_rr")
TARGETS = GENERATION_TARGETS + RETRIEVAL_TARGETS

_GENERATION = {name: datasets.Value("float64") for name in GENERATION_TARGETS}
_RETRIEVAL = {name: datasets.Value("float64") for name in RETRIEVAL_TARGETS}
_QRELS = {"relevant_image_ids": datasets.List(datasets.Value("int64"))}
_IMAGES = {
    "sdxl_images": datasets.List(datasets.Image()),
    "glide_images": datasets.List(datasets.Image()),
    "coco_image": datasets.Image(),
}

CONFIGS = {
    "default": "every column: prompts, generation and retrieval scores, relevance judgments",
    "generation": "prompts with the human generation scores (SDXL, GLIDE, their mean)",
    "retrieval": "prompts with the retrieval scores (CLIP, BLIP-2 × P@10, RR) and relevance judgments",
    "images": "generation columns plus the generated SDXL/GLIDE images and the COCO original (manual download)",
}
_CONFIG_COLUMNS = {
    "default": {**ID_COLUMNS, **_GENERATION, **_RETRIEVAL, **_QRELS},
    "generation": {**ID_COLUMNS, **_GENERATION},
    "retrieval": {**ID_COLUMNS, **_RETRIEVAL, **_QRELS},
    "images": {**ID_COLUMNS, **_GENERATION, **_IMAGES},
}


def features_for(config: str) -> datasets.Features:
    """The exact ``Features`` of ``config``.

    Raises:
        ValueError: unknown config, naming the valid ones.
    """
    try:
        return datasets.Features(_CONFIG_COLUMNS[config])
    except KeyError:
        raise ValueError(f"unknown PQPP config {config!r}; valid configs: {list(CONFIGS)}") from None
