"""The leaderboard: every predictor on every target, with intervals, significance groups and the paper.

Example:
    >>> import numpy as np
    >>> rows = [{"prompt_id": str(i), "source": "mscoco", "clip_rr": float(i % 7)} for i in range(40)]
    >>> truth = np.array([r["clip_rr"] for r in rows])
    >>> board = build_leaderboard(rows, {"oracle": {"clip_rr": truth}, "noise": {"clip_rr": np.arange(40.0)}},
    ...                           version="1.1.0", n_resamples=200)
    >>> [(e["predictor"], e["group"]) for e in board["targets"]["clip_rr"]["entries"]]
    [('oracle', 1), ('noise', 2)]
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from pqpp.data.schema import TARGETS
from pqpp.stats import DegenerateInputWarning, correlation_report, significance_groups

__all__ = ["build_leaderboard", "paper_results", "to_markdown"]

PAPER_RESULTS = Path(__file__).with_name("paper_results.json")


@cache
def _paper() -> dict[str, Any]:
    return json.loads(PAPER_RESULTS.read_text())


def paper_results(version: str, target: str) -> tuple[dict[str, list[float]], str]:
    """The paper's reported ``{predictor: [pearson, kendall]}`` for ``target`` and the table they come from.

    Version 1.1.0 falls back to the v1.0 table for targets the CVPR table does not report (the averages).
    """
    key = "v1.1" if version.startswith("1.1") else "v1.0"
    for table in (key, "v1.0"):
        if target in _paper()[table]:
            return _paper()[table][target], table
    return {}, key


def build_leaderboard(
    rows: Sequence[Mapping[str, Any]],
    predictors: Mapping[str, Mapping[str, np.ndarray]],
    *,
    version: str,
    split: str = "test",
    n_resamples: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    progress: bool = False,
) -> dict[str, Any]:
    """Score ``predictors`` (``{name: {target: values aligned with rows}}``) against ``rows``.

    For each target: Pearson, Kendall and Spearman with p-values, BCa intervals, sMARE, results per source
    when the split mixes sources, and significance groups (paired bootstrap on Pearson at ``alpha``); the
    paper's reported numbers are listed beside them, marked as reported.
    """
    sources = [row["source"] for row in rows]
    mixed = len(set(sources)) > 1
    targets = [t for t in TARGETS if any(t in p for p in predictors.values())]
    board: dict[str, Any] = {"version": version, "split": split, "n": len(rows), "targets": {}}
    # Small or constant groups (a baseline that is 0 on every DrawBench prompt) have undefined correlations
    # or intervals: they show as NaN in the tables, without a warning per cell.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateInputWarning)
        for target in tqdm(targets, desc="scoring", disable=not progress):
            truth = np.array([row[target] for row in rows], dtype=np.float64)
            scored = {name: p[target] for name, p in predictors.items() if target in p}
            entries = []
            for name, values in scored.items():
                report = correlation_report(
                    values,
                    truth,
                    groups=sources if mixed else None,
                    ci=True,
                    n_resamples=n_resamples,
                    seed=seed,
                )
                entries.append({"predictor": name, **report})
            groups = (
                significance_groups(scored, truth, n_resamples=n_resamples, seed=seed, alpha=alpha)
                if len(scored) > 1
                else dict.fromkeys(scored, 1)
            )
            for entry in entries:
                entry["group"] = groups[entry["predictor"]]
            entries.sort(key=lambda e: (e["group"], -np.nan_to_num(e["pearson"], nan=-np.inf)))
            reported, table = paper_results(version, target)
            board["targets"][target] = {
                "entries": entries,
                "paper": {
                    "table": table,
                    "reported": {
                        name: {"pearson": v[0], "kendall_tau": v[1]} for name, v in reported.items()
                    },
                },
            }
    return board


def _ci(entry: Mapping[str, Any], name: str) -> str:
    low, high = entry[f"{name}_ci"]
    return f"{entry[name]:.4f} [{low:.3f}, {high:.3f}]"


def to_markdown(board: Mapping[str, Any]) -> str:
    """The leaderboard as Markdown: one table per target, our results then the paper's reported rows."""
    lines = [
        f"# PQPP leaderboard — version {board['version']}, {board['split']} split ({board['n']} prompts)",
        "",
        "Pearson r and Kendall tau-b with 95% BCa bootstrap intervals over prompts, p-values, sMARE (lower is "
        "better) and significance group (1 = best, or not significantly worse than the best: paired bootstrap "
        "on Pearson, p >= 0.05). Rows marked *reported* are the paper's numbers, not recomputed.",
    ]
    for target, block in board["targets"].items():
        entries = block["entries"]
        by_source = sorted({s for e in entries for s in e.get("by_group", {})})
        header = ["group", "predictor", "Pearson [95% CI]", "p", "Kendall [95% CI]", "p", "sMARE"]
        header += [f"Pearson {s}" for s in by_source]
        lines += ["", f"## {target}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for e in entries:
            cells = [str(e["group"]), e["predictor"], _ci(e, "pearson"), f"{e['pearson_pvalue']:.2g}"]
            cells += [_ci(e, "kendall_tau"), f"{e['kendall_tau_pvalue']:.2g}", f"{e['smare']:.4f}"]
            cells += [
                f"{e['by_group'][s]['pearson']:.4f}" if s in e.get("by_group", {}) else "" for s in by_source
            ]
            lines.append("| " + " | ".join(cells) + " |")
        paper = block["paper"]
        for name, values in paper["reported"].items():
            cells = ["", f"{name} (*reported*, paper {paper['table']})", f"{values['pearson']:.4f}", ""]
            cells += [f"{values['kendall_tau']:.4f}", "", ""] + [""] * len(by_source)
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
