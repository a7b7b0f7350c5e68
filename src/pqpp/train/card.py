"""The model card of a trained predictor, with ``model-index`` evaluation results."""

from __future__ import annotations

import json
from typing import Any

from pqpp.citation import PQPP_BIBTEX

__all__ = ["model_card"]


def model_card(
    repo_id: str,
    results: dict[str, Any],
    args: dict[str, Any],
    dataset_id: str = "pqpp",
    dataset_version: str = "",
) -> str:
    """README.md text for a predictor: metadata with test Pearson/Kendall per target, arguments, attribution."""
    from huggingface_hub import EvalResult, ModelCardData

    revision = f"v{dataset_version}" if dataset_version else None
    eval_results = [
        EvalResult(
            task_type="text-classification",
            task_name=f"Performance prediction ({target})",
            dataset_type=dataset_id,
            dataset_name="PQPP",
            dataset_config="default",
            dataset_split="test",
            dataset_revision=revision,
            metric_type=metric_type,
            metric_name=f"{label} ({target})",
            metric_value=round(values[key], 4),
        )
        for target, values in results["test"].items()
        for key, metric_type, label in (
            ("pearson", "pearsonr", "Pearson r"),
            ("kendall_tau", "kendalltau", "Kendall tau-b"),
        )
    ]
    data = ModelCardData(
        language="en",
        license="apache-2.0",
        library_name="pqpp",
        tags=["pqpp", "query-performance-prediction", "prompt-performance-prediction", "text-regression"],
        datasets=[dataset_id],
        base_model=args.get("base_model"),
        model_name=repo_id,
        eval_results=eval_results,
    )
    table = ["| target | Pearson r | p | Kendall tau-b | p |", "|---|---:|---:|---:|---:|"]
    table += [
        f"| {t} | {v['pearson']:.4f} | {v['pearson_pvalue']:.2g} | {v['kendall_tau']:.4f} | {v['kendall_tau_pvalue']:.2g} |"
        for t, v in results["test"].items()
    ]
    body = f"""
# {repo_id}

A PQPP performance predictor: from the text of a prompt alone, it predicts how well text-to-image
generators (SDXL, GLIDE) will draw it and how well retrievers (CLIP, BLIP-2) will find images for it,
as scored by people in the PQPP benchmark (Poesina et al., CVPR 2025). Trained with the `pqpp` package
(`trainers/train_bert.py`) on PQPP {dataset_version} `train`, selected on `validation`.

## Test results (PQPP {dataset_version}, test split)

{chr(10).join(table)}

## Usage

```python
from pqpp.predictors import TextPredictor

predictor = TextPredictor.from_pretrained("{repo_id}")
scores = predictor.predict(["a red bus driving down a street"])  # {{target: array}}, original scales
```

## Training arguments

```json
{json.dumps(args, indent=2, sort_keys=True)}
```

## Data and attribution

PQPP's annotations are released by its authors under CC BY 4.0 (https://github.com/Eduard6421/PQPP);
the prompts are MS COCO captions (CC BY 4.0) and DrawBench prompts (Saharia et al., 2022).

```bibtex
{PQPP_BIBTEX}
```
"""
    return f"---\n{data.to_yaml()}\n---\n{body}"
