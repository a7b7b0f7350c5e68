"""The ``pqpp`` command.

pqpp predict --model runs/minilm --input prompts.txt --output scores.csv
pqpp benchmark --train --data_dir ../shared/pqpp-upstream/v1.1
"""

from __future__ import annotations

import argparse
import csv
import logging
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def predict_command(args: argparse.Namespace) -> None:
    from pqpp.predictors import TextPredictor
    from pqpp.prompts import read_prompt_file

    rows = read_prompt_file(args.input)
    ids, prompts = [r["prompt_id"] for r in rows], [r["prompt"] for r in rows]
    if not prompts:
        raise ValueError(f"{args.input}: no prompts")
    predictor = TextPredictor.from_pretrained(args.model, device=args.device, batch_size=args.batch_size)
    scores = predictor.predict(prompts)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt_id", "prompt", *predictor.targets])
        for i, (prompt_id, prompt) in enumerate(zip(ids, prompts, strict=True)):
            writer.writerow([prompt_id, prompt, *(repr(float(scores[t][i])) for t in predictor.targets)])
    tmp.replace(output)
    print(f"wrote {len(prompts)} predictions ({', '.join(predictor.targets)}) to {output}")


def benchmark_command(args: argparse.Namespace) -> None:
    from pqpp.benchmark import run_benchmark
    from pqpp.benchmark.run import train_default_predictor
    from pqpp.data.hub import build_folder

    output = Path(args.output_dir)
    predictions = list(args.predictions)
    n_resamples = min(args.n_resamples, 200) if args.quick else args.n_resamples
    if args.train:
        build_folder(output / "pqpp", version=args.dataset_version, data_dir=args.data_dir)
        run = train_default_predictor(
            output / "runs" / "text",
            version=args.dataset_version,
            data_dir=args.data_dir,
            quick=args.quick,
            model_name_or_path=args.model_name_or_path,
        )
        predictions.insert(0, f"text_predictor={run}")
    board = run_benchmark(
        predictions,
        output_dir=output,
        version=args.dataset_version,
        data_dir=args.data_dir,
        split=args.split,
        features=not args.no_features,
        figures=not args.no_figures,
        n_resamples=n_resamples,
        seed=args.seed,
    )
    print(
        f"scored {len(board['targets'])} target(s) on {board['n']} prompts; wrote {output / 'leaderboard.md'}"
    )


def analyze_command(args: argparse.Namespace) -> None:
    from pqpp.benchmark.analysis import run_analysis

    run_analysis(
        args.runs, output_dir=args.output_dir, version=args.dataset_version, data_dir=args.data_dir,
        figures=not args.no_figures,
    )  # fmt: skip
    print(f"wrote {Path(args.output_dir) / 'analysis.md'}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pqpp", description="PQPP: prompt and query performance prediction."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser(
        "predict",
        help="score prompts with a trained predictor and write a CSV",
        description="Score prompts with a predictor trained by trainers/train_bert.py (a folder or a Hub id). "
        "Writes prompt_id, prompt and one column per target, on the targets' original scales.",
    )
    predict.add_argument("--model", required=True, help="trained predictor: output folder or Hub model id")
    predict.add_argument(
        "--input", required=True, help=".txt (one prompt per line) or .csv with a 'prompt' column"
    )
    predict.add_argument("--output", required=True, help="CSV to write")
    predict.add_argument("--batch_size", type=int, default=64)
    predict.add_argument("--device", help="cpu, cuda, cuda:1 … (default: cuda when available)")
    predict.set_defaults(func=predict_command)

    from pqpp.data.arguments import add_data_arguments
    from pqpp.data.registry import SPLITS

    bench = commands.add_parser(
        "benchmark",
        help="score predictions and the linguistic baselines, write leaderboard.md/json and figures",
        description="Score predictions (trainer output folders, or CSV/Parquet files with prompt_id and target "
        "columns) and the paper's linguistic baselines on a split: Pearson/Kendall with p-values, 95%% BCa "
        "intervals, sMARE, per-source results, significance groups, and the paper's reported numbers.",
    )
    bench.add_argument(
        "predictions", nargs="*", help="NAME=PATH or PATH (a run folder or a .csv/.parquet file)"
    )
    bench.add_argument("--output_dir", default="leaderboard")
    add_data_arguments(bench)
    bench.add_argument("--split", default="test", choices=SPLITS)
    bench.add_argument("--no_features", action="store_true", help="leave out the linguistic baselines")
    bench.add_argument("--no_figures", action="store_true", help="do not draw figures")
    bench.add_argument(
        "--n_resamples", type=int, default=2000, help="bootstrap resamples (intervals and groups)"
    )
    bench.add_argument("--seed", type=int, default=0)
    bench.add_argument(
        "--train",
        action="store_true",
        help="the main job: build the dataset into OUTPUT_DIR/pqpp, train the default text predictor into "
        "OUTPUT_DIR/runs/text (reused when finished, resumed when interrupted), then score it with the baselines",
    )
    bench.add_argument(
        "--quick", action="store_true", help="with --train: a short smoke run (30 steps, 200 resamples)"
    )
    bench.add_argument(
        "--model_name_or_path", help="with --train: the backbone (default: packaged all-MiniLM-L6-v2)"
    )
    bench.set_defaults(func=benchmark_command)

    analyze = commands.add_parser(
        "analyze",
        help="correlations between the nine ground-truth targets, and cross-target transfer of predictors",
        description="Pearson and Kendall between every pair of targets (per split and overall), and, given "
        "single-target trainer runs, each run's test correlation with every target; tables and heatmaps.",
    )
    analyze.add_argument(
        "runs", nargs="*", help="trainer output folders, each trained on one --targets column"
    )
    analyze.add_argument("--output_dir", default="analysis")
    add_data_arguments(analyze)
    analyze.add_argument("--no_figures", action="store_true")
    analyze.set_defaults(func=analyze_command)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.WARNING)
    args = parse_args(argv)
    args.func(args)
