"""Training throughput: our Accelerate loop vs transformers' ``Trainer``, same model, data and batch size.

Both train the same ``TextRegressor`` (default backbone: the packaged all-MiniLM-L6-v2) on PQPP's train
split for ``--steps`` optimizer steps with the same batch size, learning rate, schedule and seed, and
report samples per second of the training loop only (validation and saving excluded on both sides:
``train_samples_per_second`` in our ``all_results.json`` and in the Trainer's train metrics).

Usage:
    python benchmarks/bench_train.py --data_dir ../shared/pqpp-upstream/v1.1 [--steps 60] [--batch_size 32]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path


def run_ours(args: argparse.Namespace, output: Path) -> float:
    from pqpp.train import text

    summary = text.main([
        "--data_dir", args.data_dir, "--output_dir", str(output), "--max_train_steps", str(args.steps),
        "--eval_steps", str(args.steps), "--per_device_train_batch_size", str(args.batch_size),
        "--seed", "0", "--mixed_precision", args.mixed_precision,
        *(["--model_name_or_path", args.model_name_or_path] if args.model_name_or_path else []),
    ])  # fmt: skip
    return summary["train_samples_per_second"]


def run_trainer(args: argparse.Namespace, output: Path) -> float:
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding, Trainer, TrainingArguments

    from pqpp.data import load_pqpp
    from pqpp.train import text
    from pqpp.train.data import tokenize_splits, training_normalization
    from pqpp.train.model import TextRegressor
    from pqpp.train.targets import resolve_targets

    backbone = args.model_name_or_path or text.default_model()
    targets = resolve_targets(["all"])
    splits = load_pqpp(None, args.data_dir)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    norm = training_normalization("standardize", splits, targets)
    encoded = tokenize_splits(splits, tokenizer, targets, norm, 64)
    model = TextRegressor.from_encoder(backbone, targets, normalization=norm)
    loss_fn = torch.nn.MSELoss()

    class RegressionTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            labels = inputs.pop("labels")
            outputs = model(**inputs)
            loss = loss_fn(outputs.float(), labels.float())
            return (loss, outputs) if return_outputs else loss

    training_args = TrainingArguments(
        output_dir=str(output), per_device_train_batch_size=args.batch_size, max_steps=args.steps,
        learning_rate=5e-5, weight_decay=0.01, warmup_steps=int(0.1 * args.steps), lr_scheduler_type="linear", seed=0,
        save_strategy="no", eval_strategy="no", logging_steps=10**6, report_to=[], disable_tqdm=True,
        remove_unused_columns=False, bf16=args.mixed_precision == "bf16", fp16=args.mixed_precision == "fp16",
    )  # fmt: skip
    trainer = RegressionTrainer(
        model=model,
        args=training_args,
        train_dataset=encoded["train"],
        data_collator=DataCollatorWithPadding(tokenizer),
    )
    return trainer.train().metrics["train_samples_per_second"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data_dir", default=str(Path(os.environ.get("PQPP_DATA_DIR", "../shared/pqpp-upstream")) / "v1.1")
    )
    parser.add_argument("--model_name_or_path", help="default: the packaged all-MiniLM-L6-v2")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--mixed_precision", default="no", choices=["no", "fp16", "bf16"])
    args = parser.parse_args(argv)
    import torch

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else f"CPU ({os.cpu_count()} cores)"
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, {device}")
    with tempfile.TemporaryDirectory() as work:
        # Alternate the two (A B B A) so that warming up and background load fall on both alike.
        ours, trainer = [], []
        for i, run in enumerate((run_ours, run_trainer, run_trainer, run_ours)):
            (ours if run is run_ours else trainer).append(run(args, Path(work) / f"run{i}"))
        ours, trainer = sum(ours) / 2, sum(trainer) / 2
    print(
        json.dumps(
            {"steps": args.steps, "batch_size": args.batch_size, "mixed_precision": args.mixed_precision}
        )
    )
    print(f"samples/s: ours {ours:.1f}, transformers Trainer {trainer:.1f}, ratio {ours / trainer:.2f}")


if __name__ == "__main__":
    main()
