"""Correlations, input validation and sMARE, against scipy."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pqpp.stats import DegenerateInputWarning, correlation, correlation_report, smare
from pqpp.stats.correlation import STATISTICS

SCIPY = {
    "pearson": lambda x, y, alt: stats.pearsonr(x, y, alternative=alt),
    "kendall_tau": lambda x, y, alt: stats.kendalltau(x, y, alternative=alt),
    "spearman": lambda x, y, alt: stats.spearmanr(x, y, alternative=alt),
}


def _family(kind: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if kind == "normal":
        x = rng.normal(size=n)
        return x, 0.5 * x + rng.normal(size=n)
    if kind == "uniform":
        x = rng.uniform(size=n)
        return x, rng.uniform(size=n) - 0.3 * x
    # integers with many ties, like PQPP's generation scores in [-1, 2] and P@10 in tenths
    x = rng.integers(-1, 3, size=n).astype(float)
    return x, np.clip(x + rng.integers(-1, 2, size=n), -1, 2) / 10


@pytest.mark.parametrize("kind", ["normal", "uniform", "ties"])
@pytest.mark.parametrize("n", [3, 4, 7, 30, 500, 5000])
@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
def test_equal_to_scipy(kind: str, n: int, alternative: str) -> None:
    rng = np.random.default_rng(zlib.crc32(f"{kind}-{n}-{alternative}".encode()))
    x, y = _family(kind, n, rng)
    # keep the small tied samples non-degenerate (constant input is tested on its own below)
    if np.all(x == x[0]):
        x[0] += 1
    if np.all(y == y[0]):
        y[0] += 0.1
    for name in STATISTICS:
        ours = correlation(x, y, name, alternative=alternative)
        theirs = SCIPY[name](x, y, alternative)
        assert np.isfinite(ours).all()
        np.testing.assert_allclose(ours, (theirs.statistic, theirs.pvalue), rtol=0, atol=1e-12, err_msg=name)


def test_hand_worked_example() -> None:
    # x = 1..5, y = 2, 1, 4, 3, 5. Means 3 and 3; deviations dx = -2 -1 0 1 2, dy = -1 -2 1 0 2.
    # Pearson: sum(dx*dy) = 2 + 2 + 0 + 0 + 4 = 8; sum(dx²) = sum(dy²) = 10, so r = 8 / 10 = 0.8.
    # Kendall: of the 10 pairs only (1,2) and (3,4) are discordant: tau = (8 - 2) / 10 = 0.6.
    # Spearman: no ties, ranks equal the values, so rho = r = 0.8.
    # sMARE: rank differences |1-2|, |2-1|, |3-4|, |4-3|, 0 = 4; 4 / 5 / 5 = 0.16.
    x, y = [1, 2, 3, 4, 5], [2, 1, 4, 3, 5]
    assert correlation(x, y, "pearson")[0] == pytest.approx(0.8, abs=1e-15)
    assert correlation(x, y, "kendall_tau")[0] == pytest.approx(0.6, abs=1e-15)
    assert correlation(x, y, "spearman")[0] == pytest.approx(0.8, abs=1e-15)
    assert smare(x, y).value == pytest.approx(0.16, abs=1e-15)
    # Kendall's exact p-value (no ties, n = 5): S = 6 means at most 2 inversions; of the 120 permutations
    # 1 has none, 4 have one and 9 have two, so P(|S| >= 6) = 2 * 14 / 120 = 0.2333...
    assert correlation(x, y, "kendall_tau")[1] == pytest.approx(28 / 120, abs=1e-12)


def test_smare_per_query_and_ties() -> None:
    result = smare([3, 2, 1, 1], [1, 2, 3, 4])
    # predicted ranks 4, 3, 1.5, 1.5 (average for the tie) vs 1, 2, 3, 4
    np.testing.assert_allclose(result.per_query, [3 / 4, 1 / 4, 1.5 / 4, 2.5 / 4])
    assert result.value == pytest.approx(np.mean([3, 1, 1.5, 2.5]) / 4)


@pytest.mark.parametrize(
    "convert",
    [list, np.asarray, pd.Series, lambda v: tuple(np.float32(x) for x in v)],
    ids=["list", "numpy", "pandas", "numpy-scalars"],
)
def test_input_types(convert) -> None:
    x, y = [0.1, 0.5, 0.2, 0.9], [1, 3, 2, 4]
    assert correlation(convert(x), convert(y))[0] == pytest.approx(stats.pearsonr(x, y).statistic, abs=1e-7)


def test_torch_tensors() -> None:
    torch = pytest.importorskip("torch", reason="torch is not installed (pip install 'pqpp[train]')")
    x = torch.tensor([0.1, 0.5, 0.2, 0.9], requires_grad=True)
    assert correlation(x, torch.tensor([1, 3, 2, 4]))[0] == pytest.approx(
        stats.pearsonr([0.1, 0.5, 0.2, 0.9], [1, 3, 2, 4]).statistic, abs=1e-7
    )


@pytest.mark.parametrize(
    ("predictions", "references", "match"),
    [
        ([1, 2, 3], [1, 2], r"predictions has 3 values but references has 2"),
        ([1, float("nan"), 3], [1, 2, 3], r"predictions\[1\] is nan: values must be finite"),
        ([1, 2, 3], [1, 2, float("inf")], r"references\[2\] is inf"),
        ([1, "2", 3], [1, 2, 3], r"predictions\[1\] is not a number: '2' \(str\)"),
        ([1, 2, None], [1, 2, 3], r"predictions\[2\] is not a number: None"),
        ([[1, 2], [3, 4]], [1, 2], r"predictions must be one-dimensional, got shape \(2, 2\)"),
        ("123", [1, 2, 3], r"predictions must be a sequence of numbers, got str"),
    ],
)
def test_bad_input_names_the_problem(predictions, references, match) -> None:
    with pytest.raises(ValueError, match=match):
        correlation(predictions, references)


@pytest.mark.parametrize(
    ("predictions", "references", "match"),
    [([1, 2], [2, 1], "at least 3 items, got 2"), ([1, 1, 1, 1], [1, 2, 3, 4], "constant vector")],
)
@pytest.mark.parametrize("statistic", STATISTICS)
def test_degenerate_input_is_nan_with_a_warning(predictions, references, match, statistic) -> None:
    with pytest.warns(DegenerateInputWarning, match=match) as record:
        value, pvalue = correlation(predictions, references, statistic)
    assert np.isnan(value)
    assert np.isnan(pvalue)
    assert issubclass(record[0].category, UserWarning)


def test_no_scipy_warning_leaks() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(DegenerateInputWarning):
            correlation_report([2, 2, 2], [1, 2, 3])


def test_report_keys_groups_and_options() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    y = x + rng.normal(size=60)
    groups = np.array(["mscoco"] * 40 + ["drawbench"] * 20)
    report = correlation_report(x, y, groups=groups, alternative="greater")
    assert report["pearson_pvalue"] == pytest.approx(
        stats.pearsonr(x, y, alternative="greater").pvalue, abs=1e-15
    )
    assert report["n"] == 60
    assert list(report["by_group"]) == ["mscoco", "drawbench"]
    sub = report["by_group"]["drawbench"]
    assert sub["kendall_tau"] == pytest.approx(stats.kendalltau(x[40:], y[40:]).statistic, abs=1e-15)
    assert sub["n"] == 20
    with pytest.raises(ValueError, match="groups has 3 labels but predictions has 60"):
        correlation_report(x, y, groups=["a", "b", "c"])
    with pytest.raises(ValueError, match="unknown alternative 'bigger'"):
        correlation_report(x, y, alternative="bigger")
    with pytest.raises(ValueError, match="unknown confidence interval method 'normal'"):
        correlation_report(x, y, ci=True, ci_method="normal")


def test_word_count_reproduces_the_paper(upstream_rows, data_root) -> None:
    """Prompt length (NLTK word tokens minus punctuation-only tokens) vs retrieval P@10 on v1.0 test:
    the paper reports Pearson -0.1994 and Kendall -0.1630."""
    import string

    from nltk.tokenize import NLTKWordTokenizer

    tokenizer = NLTKWordTokenizer()
    rows = upstream_rows["1.0.0"]["test"]
    counts = [
        sum(
            1
            for token in tokenizer.tokenize(row["prompt"])
            if not all(c in string.punctuation for c in token)
        )
        for row in rows
    ]
    report = correlation_report(counts, [row["retrieval_p10"] for row in rows])
    # Measured: -0.19697 and -0.15976. The paper's -0.1994 / -0.1630 are reproduced to 0.0025 / 0.0033, not
    # 0.001: none of 120 recipes tried (five NLTK/whitespace tokenizers x token filters x casing x the three
    # v1.0 copies of the targets) comes within 0.001 of both on the test split, so the paper's table was
    # most likely computed on ground truth that predates the released files. Pin our value and the gap.
    assert report["pearson"] == pytest.approx(-0.196972, abs=1e-6)
    assert report["kendall_tau"] == pytest.approx(-0.159756, abs=1e-6)
    assert report["pearson"] == pytest.approx(-0.1994, abs=0.0025)
    assert report["kendall_tau"] == pytest.approx(-0.1630, abs=0.0035)
