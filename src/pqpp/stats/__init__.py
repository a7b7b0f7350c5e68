"""Statistics for PQPP, one implementation behind the evaluate modules and the leaderboard.

* :func:`correlation`, :func:`correlation_report`: Pearson, Kendall tau-b, Spearman (scipy's values and
  p-values), sMARE, bootstrap intervals, per-group results;
* :func:`bootstrap_ci`: vectorised percentile / BCa bootstrap intervals over prompts;
* :func:`smare`: scaled Mean Absolute Rank Error and its per-prompt values;
* :func:`paired_bootstrap`, :func:`williams_test`, :func:`significance_groups`: is one predictor better;
* :mod:`pqpp.stats.ranking`: P@k, RR and AP from ranked lists or from scores.
"""

from pqpp.stats.bootstrap import ConfidenceInterval, bootstrap_ci
from pqpp.stats.compare import PairedComparison, paired_bootstrap, significance_groups, williams_test
from pqpp.stats.correlation import STATISTICS, correlation
from pqpp.stats.inputs import DegenerateInputWarning, as_pair, as_vector
from pqpp.stats.report import correlation_report
from pqpp.stats.smare import SmareResult, smare

__all__ = [
    "STATISTICS",
    "ConfidenceInterval",
    "DegenerateInputWarning",
    "PairedComparison",
    "SmareResult",
    "as_pair",
    "as_vector",
    "bootstrap_ci",
    "correlation",
    "correlation_report",
    "paired_bootstrap",
    "significance_groups",
    "smare",
    "williams_test",
]
