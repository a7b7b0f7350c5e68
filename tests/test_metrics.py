"""The evaluate modules: loading (root, path, installed copy), combine, metric cards and docstrings."""

from __future__ import annotations

import doctest
import shutil
from pathlib import Path

import evaluate
import numpy as np
import pytest
from scipy import stats

from pqpp import metrics

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT


def test_load_from_the_repository_root(at_root: Path) -> None:
    metric = evaluate.load("pqpp_correlation")
    x, y = [0.3, 0.1, 0.8, 0.5, 0.4], [0.2, 0.4, 0.9, 0.6, 0.1]
    result = metric.compute(predictions=x, references=y)
    assert result["pearson"] == stats.pearsonr(x, y).statistic
    assert result["kendall_tau_pvalue"] == stats.kendalltau(x, y).pvalue
    assert set(result) == {
        "pearson", "pearson_pvalue", "kendall_tau", "kendall_tau_pvalue", "spearman", "spearman_pvalue", "smare", "n",
    }  # fmt: skip


def test_load_by_path_and_from_an_installed_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    by_path = evaluate.load(str(ROOT / "metrics" / "pqpp_retrieval"))
    assert by_path.compute(predictions=[[1, 2]], references=[[2]])["RR"] == 0.5
    copy = tmp_path / "site" / "pqpp_correlation"
    shutil.copytree(metrics.path("pqpp_correlation"), copy)
    assert evaluate.load(str(copy)).compute(predictions=[1, 2, 3], references=[1, 3, 2])["n"] == 3
    installed = metrics.load("pqpp_correlation")
    assert installed.compute(predictions=[1, 2, 3], references=[3, 2, 1])["kendall_tau"] == pytest.approx(-1)
    with pytest.raises(ValueError, match="unknown pqpp metric 'pqpp_bleu'"):
        metrics.path("pqpp_bleu")


def test_combine(at_root: Path) -> None:
    result = evaluate.combine(["pqpp_correlation"]).compute(predictions=[1, 2, 3, 4], references=[1, 3, 2, 4])
    assert result["pearson"] == pytest.approx(0.8)
    assert result["kendall_tau"] == pytest.approx(2 / 3)
    both = evaluate.combine(["pqpp_correlation", evaluate.load("metrics/pqpp_correlation")])
    result = both.compute(predictions=[1, 2, 3, 4], references=[1, 3, 2, 4])
    assert result["pqpp_correlation_0_smare"] == result["pqpp_correlation_1_smare"] == 0.125


def test_metric_options_and_errors(at_root: Path) -> None:
    metric = evaluate.load("pqpp_correlation")
    rng = np.random.default_rng(0)
    x = rng.normal(size=50)
    y = x + rng.normal(size=50)
    result = metric.compute(predictions=x, references=y, return_ci=True, n_resamples=200, seed=3)
    assert result["pearson_ci"][0] < result["pearson"] < result["pearson_ci"][1]
    with pytest.raises(ValueError, match=r"predictions\[2\] is nan"):
        metric.compute(predictions=[1, 2, float("nan")], references=[1, 2, 3])
    with pytest.raises(ValueError, match="unknown alternative"):
        metric.compute(predictions=[1, 2, 3], references=[1, 2, 3], alternative="sideways")


def test_retrieval_metric_skips_unjudged_queries(at_root: Path) -> None:
    metric = evaluate.load("pqpp_retrieval")
    with pytest.warns(UserWarning, match="1 query"):
        result = metric.compute(predictions=[[1, 2, 3], [4, 5]], references=[[3], []], return_per_query=True)
    assert result == {
        "P@10": 0.1, "RR": 1 / 3, "AP": 1 / 3, "num_queries": 1, "num_skipped": 1,
        "per_query": {"P@10": [0.1], "RR": [1 / 3], "AP": [1 / 3]},
    }  # fmt: skip
    scores = evaluate.load("pqpp_retrieval", "scores")
    with pytest.raises(ValueError, match="same pool"):
        scores.compute(predictions=[[0.1, 0.2], [0.3]], references=[[0], [0]])


@pytest.mark.parametrize("name", metrics.METRICS)
def test_metric_card_examples(at_root: Path, name: str) -> None:
    result = doctest.testfile(
        str(ROOT / "metrics" / name / "README.md"), module_relative=False, verbose=False
    )
    assert result.attempted >= 5
    assert result.failed == 0


@pytest.mark.parametrize("name", metrics.METRICS)
def test_kwargs_description_examples(at_root: Path, name: str) -> None:
    module = evaluate.load(name)
    parser = doctest.DocTestParser()
    examples = parser.get_doctest(module.inputs_description, {"evaluate": evaluate}, name, None, 0)
    runner = doctest.DocTestRunner()
    runner.run(examples)
    assert len(examples.examples) >= 2
    assert runner.failures == 0
