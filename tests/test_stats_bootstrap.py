"""Vectorised resampled statistics and bootstrap intervals, against scipy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from pqpp.stats import bootstrap_ci, correlation_report, paired_bootstrap, significance_groups, williams_test
from pqpp.stats.bootstrap import resample_counts
from pqpp.stats.compare import williams_test_data
from pqpp.stats.resampled import ResampledCorrelations

SCIPY = {
    "pearson": lambda x, y: stats.pearsonr(x, y).statistic,
    "kendall_tau": lambda x, y: stats.kendalltau(x, y).statistic,
    "spearman": lambda x, y: stats.spearmanr(x, y).statistic,
}


@pytest.mark.parametrize("n", [3, 17, 250])
@pytest.mark.parametrize("ties", [False, True])
def test_resampled_statistics_equal_scipy_on_expanded_resamples(n: int, ties: bool) -> None:
    rng = np.random.default_rng(n)
    x = rng.integers(0, 4, n).astype(float) if ties else rng.normal(size=n)
    y = x + (rng.integers(0, 3, n) if ties else rng.normal(size=n))
    index = rng.integers(0, n, (25, n))
    counts = np.stack([np.bincount(row, minlength=n) for row in index])
    got = ResampledCorrelations(x, y)(counts)
    for name, fn in SCIPY.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns on constant resamples; both sides give NaN there
            expected = np.array([fn(x[row], y[row]) for row in index])
        np.testing.assert_allclose(got[name], expected, rtol=0, atol=1e-12, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("ties", [False, True])
def test_jackknife_equals_leave_one_out(ties: bool) -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=40), rng.normal(size=40)
    if ties:  # tie groups of several sizes in both vectors, and a singleton
        x, y = np.round(x * 2), np.round(y)
    jack = ResampledCorrelations(x, y).jackknife()
    for name, fn in SCIPY.items():
        expected = [fn(np.delete(x, i), np.delete(y, i)) for i in range(40)]
        np.testing.assert_allclose(jack[name], expected, rtol=0, atol=1e-12, err_msg=name)


def test_resample_counts_are_scipys_draws_in_any_batch() -> None:
    whole = np.concatenate(list(resample_counts(9, 10, seed=3, batch=10)))
    pieces = np.concatenate(list(resample_counts(9, 10, seed=3, batch=4)))
    index = np.random.default_rng(3).integers(0, 9, (10, 9))
    assert (whole == pieces).all()
    assert (whole == np.stack([np.bincount(r, minlength=9) for r in index])).all()
    assert (whole.sum(axis=1) == 9).all()


@pytest.mark.parametrize("method", ["percentile", "BCa"])
@pytest.mark.parametrize("name", ["pearson", "kendall_tau", "spearman"])
def test_interval_equals_scipy_bootstrap(method: str, name: str) -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(size=120)
    y = np.round(x + rng.normal(size=120), 1)  # rounded: ties in y

    def statistic(index, axis=-1):  # scipy's reference: a Python loop over scipy calls
        index = np.asarray(index)
        values = [SCIPY[name](x[row], y[row]) for row in index.reshape(-1, index.shape[-1])]
        return np.array(values).reshape(index.shape[:-1])

    expected = stats.bootstrap(
        (np.arange(120),),
        statistic,
        vectorized=True,
        n_resamples=300,
        method=method,
        rng=np.random.default_rng(5),
    ).confidence_interval
    ours = bootstrap_ci(x, y, [name], method=method.lower(), n_resamples=300, seed=5, batch=64)[name]
    np.testing.assert_allclose([ours.low, ours.high], [expected.low, expected.high], rtol=0, atol=1e-12)


def test_intervals_do_not_depend_on_the_batch() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=50), rng.normal(size=50)
    a = bootstrap_ci(x, y, ["kendall_tau"], n_resamples=500, seed=9, batch=500)["kendall_tau"]
    b = bootstrap_ci(x, y, ["kendall_tau"], n_resamples=500, seed=9, batch=37)["kendall_tau"]
    assert a == b


@pytest.mark.parametrize(("name", "truth"), [("pearson", 0.5), ("kendall_tau", 2 / np.pi * np.arcsin(0.5))])
def test_coverage_on_a_known_correlation(name: str, truth: float) -> None:
    """95% intervals from 200 seeded bivariate-normal samples (rho = 0.5) should cover the truth ~95% of
    the time; the binomial standard deviation over 200 trials is 1.5 points."""
    rng = np.random.default_rng(2025)
    covered = 0
    for trial in range(200):
        sample = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=80)
        ci = bootstrap_ci(sample[:, 0], sample[:, 1], [name], n_resamples=1000, seed=trial)[name]
        covered += ci.low <= truth <= ci.high
    assert 0.90 <= covered / 200 <= 0.99, covered


def test_report_intervals() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=100)
    y = x + rng.normal(size=100)
    report = correlation_report(x, y, ci=True, n_resamples=500, seed=1, confidence_level=0.9)
    for name in ("pearson", "kendall_tau", "spearman"):
        low, high = report[f"{name}_ci"]
        assert low < report[name] < high
    assert (
        report["pearson_ci"]
        == bootstrap_ci(x, y, ["pearson"], n_resamples=500, seed=1, confidence_level=0.9)["pearson"].as_list()
    )


def test_paired_bootstrap() -> None:
    rng = np.random.default_rng(6)
    truth = rng.normal(size=300)
    good, bad = truth + rng.normal(size=300), truth + 3 * rng.normal(size=300)
    result = paired_bootstrap(good, bad, truth, "kendall_tau", n_resamples=2000, seed=0)
    observed = stats.kendalltau(good, truth).statistic - stats.kendalltau(bad, truth).statistic
    assert result.difference == pytest.approx(observed, abs=1e-12)
    assert result.ci.low > 0
    assert result.pvalue < 0.01
    same = paired_bootstrap(good, good + 1e-9 * rng.normal(size=300), truth, n_resamples=500, seed=0)
    assert same.pvalue > 0.5


def test_paired_bootstrap_false_positive_rate() -> None:
    """Two equally good, independent predictors: about 5% of tests reject at 0.05."""
    rng = np.random.default_rng(8)
    rejections = 0
    for trial in range(100):
        truth = rng.normal(size=60)
        a, b = truth + rng.normal(size=60), truth + rng.normal(size=60)
        rejections += paired_bootstrap(a, b, truth, n_resamples=400, seed=trial).pvalue < 0.05
    assert rejections <= 12


def test_williams_test() -> None:
    # psych::r.test(n = 103, r12 = .4, r13 = .5, r23 = .1): "t value -0.89 with probability < 0.37"
    t, p = williams_test(0.4, 0.5, 0.1, 103)
    assert t == pytest.approx(-0.8913, abs=1e-4)
    assert p == pytest.approx(0.3749, abs=1e-4)
    assert williams_test(0.5, 0.5, 0.3, 50) == (0.0, 1.0)
    with pytest.raises(ValueError, match="more than 3 items"):
        williams_test(0.1, 0.2, 0.3, 3)
    with pytest.raises(ValueError, match="r23 must be a correlation"):
        williams_test(0.1, 0.2, 1.3, 30)


def test_williams_test_is_calibrated_under_the_null() -> None:
    rng = np.random.default_rng(10)
    cov = [[1, 0.4, 0.4], [0.4, 1, 0.2], [0.4, 0.2, 1]]  # both predictors correlate 0.4 with the truth
    pvalues = []
    for _ in range(400):
        truth, a, b = rng.multivariate_normal([0, 0, 0], cov, size=100).T
        pvalues.append(williams_test_data(a, b, truth)[1])
    assert 0.02 <= np.mean(np.array(pvalues) < 0.05) <= 0.085


def test_significance_groups() -> None:
    rng = np.random.default_rng(12)
    truth = rng.normal(size=400)
    predictions = {
        "best": truth + 0.5 * rng.normal(size=400),
        "tied": truth + 0.5 * rng.normal(size=400),
        "weak": truth + 3 * rng.normal(size=400),
        "noise": rng.normal(size=400),
    }
    for test in ("bootstrap", "williams"):
        groups = significance_groups(predictions, truth, test=test, n_resamples=1000)
        assert groups["best"] == 1 == groups["tied"] or groups["tied"] == 1 == groups["best"]
        assert groups["weak"] == 2
        assert groups["noise"] == 3
    with pytest.raises(ValueError, match="Williams' test compares Pearson"):
        significance_groups(predictions, truth, "kendall_tau", test="williams")
