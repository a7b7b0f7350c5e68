"""The leaderboard: id validation, known correlations, outputs and the CLI on v1.0 data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from pqpp import cli
from pqpp.benchmark import (
    PredictionError,
    align,
    build_leaderboard,
    paper_results,
    read_predictions,
    to_markdown,
)


def test_align_reorders_and_validates() -> None:
    values = {"clip_rr": np.array([3.0, 1.0, 2.0])}
    assert align(["c", "a", "b"], values, ["a", "b", "c"], "run")["clip_rr"].tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(PredictionError, match=r"run: duplicated prompt ids: 'a'"):
        align(["a", "a", "b"], values, ["a", "b", "c"], "run")
    with pytest.raises(PredictionError, match=r"run: prompt ids not in the split: 'x'"):
        align(["a", "b", "x"], values, ["a", "b", "c"], "run")
    with pytest.raises(
        PredictionError, match=r"run: no prediction for prompt ids: 'd', 'e', 'f', 'g', 'h' … \(6 in all\)"
    ):
        align(["a", "b", "c"], values, list("abcdefghi"), "run")


def _write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_read_predictions(tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "p.csv",
        ["prompt_id", "clip_rr", "note"],
        [["coco-1", "0.5", "x"], ["coco-2", "1e-3", "y"]],
    )
    ids, values = read_predictions(path)
    assert ids == ["coco-1", "coco-2"]
    assert list(values) == ["clip_rr"]
    assert values["clip_rr"].tolist() == [0.5, 0.001]
    (tmp_path / "run" / "predictions").mkdir(parents=True)
    _write_csv(tmp_path / "run" / "predictions" / "validation.csv", ["prompt_id", "sdxl_score"], [["a", "1"]])
    assert read_predictions(tmp_path / "run", "validation")[0] == ["a"]
    with pytest.raises(FileNotFoundError, match="predictions/test.csv"):
        read_predictions(tmp_path / "run")
    bad = _write_csv(tmp_path / "bad.csv", ["id", "clip_rr"], [["a", "1"]])
    with pytest.raises(PredictionError, match="no 'prompt_id' column"):
        read_predictions(bad)
    nan = _write_csv(tmp_path / "nan.csv", ["prompt_id", "clip_rr"], [["a", "nan"]])
    with pytest.raises(PredictionError, match=r"clip_rr.*is nan"):
        read_predictions(nan)


def test_leaderboard_on_known_correlations() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=300)
    rows = [
        {"prompt_id": f"p{i}", "source": "mscoco" if i < 250 else "drawbench", "glide_score": t}
        for i, t in enumerate(truth)
    ]
    good = truth + 0.5 * rng.normal(size=300)
    weak = truth + 3 * rng.normal(size=300)
    board = build_leaderboard(
        rows, {"weak": {"glide_score": weak}, "good": {"glide_score": good}}, version="1.1.0", n_resamples=300
    )
    entries = board["targets"]["glide_score"]["entries"]
    assert [e["predictor"] for e in entries] == ["good", "weak"]
    assert [e["group"] for e in entries] == [1, 2]
    assert entries[0]["pearson"] == pytest.approx(stats.pearsonr(good, truth)[0], abs=1e-12)
    assert entries[0]["kendall_tau_pvalue"] == pytest.approx(stats.kendalltau(good, truth).pvalue, abs=1e-15)
    assert entries[0]["pearson_ci"][0] < entries[0]["pearson"] < entries[0]["pearson_ci"][1]
    assert entries[1]["by_group"]["drawbench"]["n"] == 50
    assert board["targets"]["glide_score"]["paper"]["reported"]["finetuned_bert"] == {
        "pearson": 0.566,
        "kendall_tau": 0.406,
    }
    markdown = to_markdown(board)
    assert "| 1 | good | " in markdown
    assert "finetuned_clip (*reported*, paper v1.1) | 0.6490" in markdown


def test_paper_results_fall_back_to_v1_0_for_averages() -> None:
    assert paper_results("1.1.0", "generation_score")[1] == "v1.0"
    assert paper_results("1.1.0", "clip_rr")[0]["finetuned_bert"] == [0.221, 0.176]
    assert paper_results("1.0.0", "retrieval_p10")[0]["num_words"] == [-0.1994, -0.163]


def test_cli_on_v1_0(
    data_root: Path, upstream_rows, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = upstream_rows["1.0.0"]["test"]
    rng = np.random.default_rng(1)
    noisy = [[r["prompt_id"], r["retrieval_p10"] + rng.normal(scale=0.2)] for r in rows]
    path = _write_csv(tmp_path / "noisy.csv", ["prompt_id", "retrieval_p10"], noisy)
    out = tmp_path / "lb"
    cli.main(["benchmark", f"mine={path}", "--data_dir", str(data_root / "v1.0"), "--dataset_version", "1.0.0",
              "--output_dir", str(out), "--n_resamples", "200"])  # fmt: skip
    assert "wrote" in capsys.readouterr().out
    board = json.loads((out / "leaderboard.json").read_text())
    assert board["n"] == 2000
    assert list(board["targets"])[:1] == ["glide_score"]  # the baselines cover every target
    mine = next(e for e in board["targets"]["retrieval_p10"]["entries"] if e["predictor"] == "mine")
    truth = [r["retrieval_p10"] for r in rows]
    assert mine["pearson"] == pytest.approx(stats.pearsonr([v for _, v in noisy], truth)[0], abs=1e-12)
    assert mine["group"] == 1
    words = next(e for e in board["targets"]["retrieval_p10"]["entries"] if e["predictor"] == "num_words")
    assert words["pearson"] == pytest.approx(-0.196972, abs=1e-6)
    assert "num_proper_nouns" in board["unavailable_features"] or "num_proper_nouns" in {
        e["predictor"] for e in board["targets"]["clip_rr"]["entries"]
    }
    assert (
        (out / "leaderboard.md")
        .read_text()
        .startswith("# PQPP leaderboard — version 1.0.0, test split (2000 prompts)")
    )
    figures = sorted(p.name for p in (out / "figures").iterdir())
    assert "correlations.png" in figures
    assert "scatter_retrieval_p10.png" in figures
    assert all((out / "figures" / f).stat().st_size > 5000 for f in figures)


def test_cli_rejects_bad_predictions_before_scoring(data_root: Path, tmp_path: Path) -> None:
    path = _write_csv(
        tmp_path / "few.csv", ["prompt_id", "clip_rr"], [["coco-737237", "0.1"], ["nope", "0.2"]]
    )
    with pytest.raises(PredictionError, match=r"few: prompt ids not in the split: 'nope'"):
        cli.main(["benchmark", str(path), "--data_dir", str(data_root / "v1.0"), "--dataset_version", "1.0.0",
                  "--output_dir", str(tmp_path / "lb")])  # fmt: skip
    assert not (tmp_path / "lb").exists()


def test_main_job_quick(
    data_root: Path, tiny_bert: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pqpp benchmark --train --quick` end to end on v1.0 (a tiny BERT stands in for MiniLM to stay fast)."""
    out = tmp_path / "job"
    argv = ["benchmark", "--train", "--quick", "--model_name_or_path", str(tiny_bert), "--data_dir",
            str(data_root / "v1.0"), "--dataset_version", "1.0.0", "--output_dir", str(out), "--no_figures"]  # fmt: skip
    cli.main(argv)
    assert "scored 9 target(s) on 2000 prompts" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["leaderboard.json", "leaderboard.md", "pqpp", "runs"]
    board = json.loads((out / "leaderboard.json").read_text())
    entries = board["targets"]["clip_rr"]["entries"]
    assert "text_predictor" in {e["predictor"] for e in entries}
    assert json.loads((out / "runs" / "text" / "all_results.json").read_text())["completed_steps"] == 30
    assert (out / "pqpp" / "default" / "test-00000-of-00001.parquet").is_file()
    # a second run reuses the finished predictor instead of training again
    mtime = (out / "runs" / "text" / "model.safetensors").stat().st_mtime_ns
    cli.main(argv)
    assert (out / "runs" / "text" / "model.safetensors").stat().st_mtime_ns == mtime


def test_analyze_targets_and_transfer(data_root, upstream_rows, tiny_bert, tmp_path, capsys) -> None:
    from pqpp.train import text

    runs = []
    for target in ("glide_score", "clip_rr"):
        run = tmp_path / target
        text.main(["--model_name_or_path", str(tiny_bert), "--data_dir", str(data_root / "v1.0"),
                   "--dataset_version", "1.0.0", "--output_dir", str(run), "--targets", target,
                   "--max_train_steps", "2", "--per_device_eval_batch_size", "512"])  # fmt: skip
        runs.append(str(run))
    out = tmp_path / "analysis"
    cli.main(["analyze", *runs, "--data_dir", str(data_root / "v1.0"), "--dataset_version", "1.0.0",
              "--output_dir", str(out)])  # fmt: skip
    assert "analysis.md" in capsys.readouterr().out
    result = json.loads((out / "analysis.json").read_text())
    assert list(result["targets"]) == ["train", "validation", "test", "all"]
    rows = upstream_rows["1.0.0"]["test"]
    glide, sdxl = [r["glide_score"] for r in rows], [r["sdxl_score"] for r in rows]
    assert result["targets"]["test"]["pearson"]["glide_score"]["sdxl_score"] == pytest.approx(
        stats.pearsonr(glide, sdxl)[0], abs=1e-12
    )
    assert result["targets"]["all"]["kendall_tau"]["clip_rr"]["clip_rr"] == pytest.approx(1.0)
    transfer = result["transfer"]["pearson"]
    assert list(transfer) == ["glide_score", "clip_rr"]
    assert len(transfer["clip_rr"]) == 9
    with (tmp_path / "clip_rr" / "predictions" / "test.csv").open() as handle:
        predicted = [float(r["clip_rr"]) for r in csv.DictReader(handle)]
    assert transfer["clip_rr"]["blip2_rr"] == pytest.approx(
        stats.pearsonr(predicted, [r["blip2_rr"] for r in rows])[0], abs=1e-12
    )
    assert sorted(p.name for p in (out / "figures").iterdir()) == [
        "targets_kendall_tau.png", "targets_pearson.png", "transfer_kendall_tau.png", "transfer_pearson.png",
    ]  # fmt: skip
    mixed = _write_csv(
        tmp_path / "mixed.csv", ["prompt_id", "clip_rr", "sdxl_score"], [["coco-737237", "1", "2"]]
    )
    with pytest.raises(ValueError, match="must predict one target"):
        cli.main(["analyze", str(mixed),
                  "--data_dir", str(data_root / "v1.0"), "--dataset_version", "1.0.0", "--output_dir", str(out)])  # fmt: skip
