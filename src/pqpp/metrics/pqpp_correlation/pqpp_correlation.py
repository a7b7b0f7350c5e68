"""PQPP correlation: how well predicted prompt/query performance agrees with human ground truth."""

import datasets
import evaluate

from pqpp.citation import PQPP_BIBTEX
from pqpp.stats import correlation_report

_DESCRIPTION = """\
The PQPP benchmark's metric (Poesina et al., CVPR 2025). It scores a performance predictor by the
correlation between its predictions and the ground truth over a set of prompts: Pearson r (linear
agreement) and Kendall tau-b (agreement of the ranking, ties included), each with its p-value, exactly
as `scipy.stats` computes them. It adds what the paper's table leaves open: Spearman rho, sMARE (scaled
Mean Absolute Rank Error, Faggioli et al., 2021; lower is better), bootstrap confidence intervals over
prompts (BCa or percentile), and per-group results (e.g. MS COCO vs DrawBench prompts).
"""

_KWARGS_DESCRIPTION = """
Args:
    predictions (`list` of `float`): predicted performance, one value per prompt.
    references (`list` of `float`): ground-truth performance (e.g. the dataset's `generation_score` or
        `retrieval_p10`), aligned with `predictions`.
    groups (`list`, optional): a label per prompt (e.g. the dataset's `source`); adds `by_group`.
    alternative (`str`): p-value alternative, `"two-sided"` (default), `"less"` or `"greater"`.
    return_ci (`bool`): add bootstrap confidence intervals (`pearson_ci`, `kendall_tau_ci`,
        `spearman_ci`, each `[low, high]`). Defaults to `False`.
    ci_method (`str`): `"bca"` (default) or `"percentile"`.
    confidence_level (`float`): defaults to 0.95.
    n_resamples (`int`): bootstrap resamples, defaults to 9999.
    seed (`int`, optional): bootstrap seed; the same seed gives the same intervals.

Returns:
    pearson (`float`): Pearson r, in [-1, 1].
    pearson_pvalue (`float`): its p-value, in [0, 1].
    kendall_tau (`float`): Kendall tau-b, in [-1, 1].
    kendall_tau_pvalue (`float`): its p-value.
    spearman (`float`): Spearman rho, in [-1, 1].
    spearman_pvalue (`float`): its p-value.
    smare (`float`): sMARE, in [0, 1); 0 is a perfect ranking.
    n (`int`): number of prompts.
    *_ci (`list` of two `float`): when `return_ci=True`.
    by_group (`dict`): the same keys per group, when `groups` is given.
    Correlations of fewer than 3 prompts or of a constant vector are NaN, with a warning.

Examples:
    >>> pqpp_correlation = evaluate.load("pqpp_correlation")
    >>> results = pqpp_correlation.compute(predictions=[0.1, 0.4, 0.35, 0.8, 0.7],
    ...                                    references=[0.0, 0.3, 0.5, 1.0, 0.6])
    >>> round(results["pearson"], 4), round(results["kendall_tau"], 4), round(results["smare"], 4)
    (0.9271, 0.8, 0.08)
    >>> round(results["kendall_tau_pvalue"], 4)
    0.0833

    With a bootstrap interval and results per source:

    >>> results = pqpp_correlation.compute(
    ...     predictions=[0.1, 0.4, 0.35, 0.8, 0.7, 0.2, 0.9, 0.3],
    ...     references=[0.0, 0.3, 0.5, 1.0, 0.6, 0.1, 0.8, 0.4],
    ...     groups=["mscoco"] * 5 + ["drawbench"] * 3,
    ...     return_ci=True, ci_method="percentile", n_resamples=1000, seed=0)
    >>> [round(v, 2) for v in results["pearson_ci"]]
    [0.78, 0.99]
    >>> results["by_group"]["drawbench"]["n"]
    3
"""

_CITATION = (
    PQPP_BIBTEX
    + """
@article{2020SciPy-NMeth,
  author  = {Virtanen, Pauli and Gommers, Ralf and Oliphant, Travis E. and others},
  title   = {{SciPy} 1.0: Fundamental Algorithms for Scientific Computing in Python},
  journal = {Nature Methods},
  year    = {2020},
  volume  = {17},
  pages   = {261--272}
}
@inproceedings{Faggioli-ICTIR-2021,
  title     = {sMARE: a new paradigm to evaluate and understand query performance prediction methods},
  author    = {Faggioli, Guglielmo and Zendel, Oleg and Culpepper, J. Shane and Ferro, Nicola and Scholer, Falk},
  booktitle = {Proceedings of ICTIR},
  year      = {2021}
}
"""
)


@evaluate.utils.file_utils.add_start_docstrings(_DESCRIPTION, _KWARGS_DESCRIPTION)
class PqppCorrelation(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation=_CITATION,
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features(
                {"predictions": datasets.Value("float64"), "references": datasets.Value("float64")}
            ),
            reference_urls=[
                "https://arxiv.org/abs/2406.04746",
                "https://docs.scipy.org/doc/scipy/reference/generated/scipy.stats.kendalltau.html",
            ],
        )

    def _compute(
        self,
        predictions,
        references,
        *,
        groups=None,
        alternative="two-sided",
        return_ci=False,
        ci_method="bca",
        confidence_level=0.95,
        n_resamples=9999,
        seed=None,
    ):
        return correlation_report(
            predictions,
            references,
            groups=groups,
            alternative=alternative,
            ci=return_ci,
            ci_method=ci_method,
            confidence_level=confidence_level,
            n_resamples=n_resamples,
            seed=seed,
        )
