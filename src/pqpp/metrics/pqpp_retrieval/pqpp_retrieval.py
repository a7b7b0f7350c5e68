"""PQPP retrieval: P@k, RR and AP of text-to-image retrieval runs against relevance judgments."""

import warnings

import datasets
import evaluate
import numpy as np

from pqpp.citation import PQPP_BIBTEX
from pqpp.stats import ranking

_DESCRIPTION = """\
Retrieval effectiveness per query, as PQPP's retrieval ground truth is defined: precision at k (P@10 in
the paper), reciprocal rank of the first relevant image (RR) and average precision (AP), against the
dataset's relevance judgments (`relevant_image_ids`). Two input forms (configs):

- `ranked` (default): per query, the retrieved image ids, best first. Equal to trec_eval / ir_measures
  (`P@10`, `RR`, `AP`).
- `scores`: per query, one similarity score per image of a fixed pool, and the pool indices of the
  relevant images. Nothing is sorted for RR and P@k: the rank of the first relevant image is one plus the
  number of pool images scoring strictly above the best relevant one. Ties are broken in favour of
  relevant images.

Queries without relevance judgments (e.g. PQPP's DrawBench prompts) are skipped with a warning, never
scored as zero.
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions: `ranked`: `list` of `list` of `int` image ids, best first, per query.
        `scores`: `list` of `list` of `float`, one score per pool image, per query.
    references: per query, `list` of `int`: the relevant image ids (`ranked`) or pool indices (`scores`).
    k (`int`): cut-off of the precision, defaults to 10.
    return_per_query (`bool`): also return the per-query values under `per_query`. Defaults to `False`.

Returns:
    P@k (`float`): mean precision at k over judged queries, in [0, 1] (key `"P@10"` for k=10).
    RR (`float`): mean reciprocal rank, in [0, 1].
    AP (`float`): mean average precision, in [0, 1].
    num_queries (`int`): judged queries scored; num_skipped (`int`): queries without judgments.
    per_query (`dict`): lists of per-query values, when asked.

Examples:
    >>> pqpp_retrieval = evaluate.load("pqpp_retrieval")
    >>> results = pqpp_retrieval.compute(predictions=[[7, 3, 9], [4, 5, 6]], references=[[3], [6, 1]])
    >>> results["P@10"], round(results["RR"], 4), round(results["AP"], 4)  # RR: (1/2 + 1/3) / 2
    (0.1, 0.4167, 0.3333)

    From scores over a pool of four images (query 0's relevant image 2 has two images above it):

    >>> by_scores = evaluate.load("pqpp_retrieval", "scores")
    >>> round(by_scores.compute(predictions=[[0.1, 0.9, 0.5, 0.7]], references=[[2]], k=2)["RR"], 4)
    0.3333
"""

_CITATION = (
    PQPP_BIBTEX
    + """
@inproceedings{MacAvaney-ECIR-2022,
  title     = {Streamlining Evaluation with ir-measures},
  author    = {MacAvaney, Sean and Macdonald, Craig and Ounis, Iadh},
  booktitle = {Proceedings of ECIR},
  year      = {2022}
}
"""
)

_FEATURES = {
    "ranked": datasets.Features(
        {
            "predictions": datasets.Sequence(datasets.Value("int64")),
            "references": datasets.Sequence(datasets.Value("int64")),
        }
    ),
    "scores": datasets.Features(
        {
            "predictions": datasets.Sequence(datasets.Value("float32")),
            "references": datasets.Sequence(datasets.Value("int64")),
        }
    ),
}


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class PqppRetrieval(evaluate.Metric):
    def _info(self):
        config = "ranked" if self.config_name in (None, "default") else self.config_name
        if config not in _FEATURES:
            raise ValueError(f"unknown pqpp_retrieval config {self.config_name!r}; valid: {list(_FEATURES)}")
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=_FEATURES[config],
            reference_urls=["https://ir-measur.es/", "https://arxiv.org/abs/2406.04746"],
        )

    def _compute(self, predictions, references, *, k=10, return_per_query=False):
        judged = [i for i, relevant in enumerate(references) if len(relevant) > 0]
        skipped = len(references) - len(judged)
        if skipped:
            warnings.warn(
                f"{skipped} query(ies) without relevance judgments skipped", UserWarning, stacklevel=2
            )
        if not judged:
            raise ValueError("no query has relevance judgments: nothing to score")
        if self.config_name == "scores":
            sizes = {len(predictions[i]) for i in judged}
            if len(sizes) != 1:
                raise ValueError(f"every query must score the same pool; got pool sizes {sorted(sizes)}")
            scores = np.asarray([predictions[i] for i in judged], dtype=np.float32)
            relevant = [references[i] for i in judged]
            per_query = {
                f"P@{k}": ranking.precision_at_k_from_scores(scores, relevant, k).tolist(),
                "RR": (1.0 / ranking.first_relevant_rank(scores, relevant)).tolist(),
                "AP": ranking.average_precision_from_scores(scores, relevant).tolist(),
            }
        else:
            per_query = {
                f"P@{k}": [ranking.precision_at_k(predictions[i], references[i], k) for i in judged],
                "RR": [ranking.reciprocal_rank(predictions[i], references[i]) for i in judged],
                "AP": [ranking.average_precision(predictions[i], references[i]) for i in judged],
            }
        result = {name: float(np.mean(values)) for name, values in per_query.items()}
        result |= {"num_queries": len(judged), "num_skipped": skipped}
        if return_per_query:
            result["per_query"] = per_query
        return result
