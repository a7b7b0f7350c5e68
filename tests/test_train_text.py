"""trainers/train_bert.py on a tiny BERT built in the test: outputs, resume, predictor, push, bad flags."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

pytest.importorskip("torch", reason="training tests need the train extra (torch)")

from pqpp import cli
from pqpp.predictors import TextPredictor
from pqpp.train import text
from pqpp.train.model import TextRegressor


def _run(tiny_bert: Path, data_root: Path, output: Path, *extra: str) -> dict:
    return text.main([
        "--model_name_or_path", str(tiny_bert), "--data_dir", str(data_root / "v1.0"), "--dataset_version", "1.0.0",
        "--output_dir", str(output), "--per_device_train_batch_size", "8", "--per_device_eval_batch_size", "256",
        "--max_length", "32", "--seed", "7", *extra,
    ])  # fmt: skip


@pytest.fixture(scope="module")
def finished(tiny_bert: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("run") / "out"
    summary = _run(
        tiny_bert, data_root, out, "--targets", "generation", "clip_rr", "--max_train_steps", "4",
        "--eval_steps", "2", "--checkpointing_steps", "2", "--checkpoints_total_limit", "1",
    )  # fmt: skip
    return out, summary


TARGETS = ["glide_score", "sdxl_score", "generation_score", "clip_rr"]


def test_output_files(finished) -> None:
    out, summary = finished
    assert sorted(p.name for p in out.iterdir()) == [
        "README.md", "all_results.json", "args.json", "checkpoints", "config.json", "model.safetensors",
        "predictions", "tokenizer.json", "tokenizer_config.json",
    ]  # fmt: skip
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["step_4"]  # total limit 1
    assert {p.name for p in (out / "checkpoints" / "step_4").iterdir()} >= {
        "model.safetensors", "optimizer.bin", "scheduler.bin", "random_states_0.pkl", "trainer_state.json",
        "best_model.safetensors",
    }  # fmt: skip
    results = json.loads((out / "all_results.json").read_text())
    assert results == json.loads(json.dumps(summary))
    assert set(results) == {
        "best_step",
        "best_validation_mean_pearson",
        "completed_steps",
        "num_processes",
        "train_runtime",
        "train_samples_per_second",
        "validation",
        "test",
    }
    assert results["completed_steps"] == 4
    assert results["best_step"] in (2, 4)
    assert list(results["test"]) == TARGETS
    assert {"pearson", "pearson_pvalue", "kendall_tau", "kendall_tau_pvalue"} <= set(
        results["test"]["clip_rr"]
    )
    assert results["test"]["clip_rr"]["n"] == 2000
    with (out / "predictions" / "test.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["prompt_id", *TARGETS]
    assert len(rows) == 2001
    assert rows[1][0] == "coco-737237"
    args = json.loads((out / "args.json").read_text())
    assert args["targets"] == TARGETS
    assert "hub_token" not in args
    config = json.loads((out / "config.json").read_text())
    assert config["targets"] == TARGETS
    assert config["normalization"]["clip_rr"][1] > 0


def test_predictions_match_the_reported_correlations(finished, upstream_rows) -> None:
    from scipy import stats

    out, summary = finished
    with (out / "predictions" / "validation.csv").open() as handle:
        predicted = [float(row["clip_rr"]) for row in csv.DictReader(handle)]
    truth = [row["clip_rr"] for row in upstream_rows["1.0.0"]["validation"]]
    assert summary["validation"]["clip_rr"]["pearson"] == pytest.approx(
        stats.pearsonr(predicted, truth)[0], abs=1e-6
    )


def test_model_card(finished) -> None:
    out, summary = finished
    header = yaml.safe_load((out / "README.md").read_text().split("---\n")[1])
    (result,) = header["model-index"][0]["results"]
    assert result["dataset"] == {
        "name": "PQPP",
        "type": "pqpp",
        "config": "default",
        "split": "test",
        "revision": "v1.0.0",
    }
    metrics = {m["name"]: m for m in result["metrics"]}
    assert len(metrics) == 2 * len(TARGETS)
    assert metrics["Pearson r (clip_rr)"] == {
        "type": "pearsonr", "name": "Pearson r (clip_rr)", "value": round(summary["test"]["clip_rr"]["pearson"], 4)
    }  # fmt: skip
    assert metrics["Kendall tau-b (glide_score)"]["type"] == "kendalltau"
    assert "base_model" not in header  # a local backbone path means nothing on the Hub


def test_resume_ends_like_an_uninterrupted_run(tiny_bert: Path, data_root: Path, tmp_path: Path) -> None:
    options = ("--targets", "retrieval", "--max_train_steps", "6", "--eval_steps", "3", "--checkpointing_steps", "2",
               "--dropout", "0.3")  # fmt: skip
    whole = _run(tiny_bert, data_root, tmp_path / "whole", *options)
    # A run "killed" after step 2: start a new output folder from the uninterrupted run's step-2 checkpoint.
    resumed_dir = tmp_path / "resumed"
    shutil.copytree(tmp_path / "whole" / "checkpoints" / "step_2", resumed_dir / "checkpoints" / "step_2")
    resumed = _run(tiny_bert, data_root, resumed_dir, *options, "--resume_from_checkpoint", "latest")
    timing = ("train_runtime", "train_samples_per_second")
    assert {k: v for k, v in resumed.items() if k not in timing} == {
        k: v for k, v in whole.items() if k not in timing
    }
    a = (tmp_path / "whole" / "predictions" / "test.csv").read_text()
    assert a == (resumed_dir / "predictions" / "test.csv").read_text()


def test_predictor_round_trip(finished, tmp_path: Path) -> None:
    out, _ = finished
    with (out / "predictions" / "validation.csv").open() as handle:
        rows = list(csv.DictReader(handle))[:20]
    predictor = TextPredictor.from_pretrained(out, device="cpu", batch_size=7)
    assert predictor.targets == TARGETS
    prompts = _validation_prompts(out, 20)
    scores = predictor.predict(prompts)
    for target in TARGETS:
        np.testing.assert_allclose(scores[target], [float(r[target]) for r in rows], rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="list of strings"):
        predictor.predict("one prompt")
    with pytest.raises(ValueError, match=r"prompts\[1\] is not a string"):
        predictor.predict(["ok", 3])


def _validation_prompts(out: Path, count: int) -> list[str]:
    from pqpp.data import load_pqpp

    args = json.loads((out / "args.json").read_text())
    return load_pqpp(args["dataset_version"], args["data_dir"])["validation"]["prompt"][:count]


def test_saved_model_loads_strictly(finished, tmp_path: Path) -> None:
    out, _ = finished
    model = TextRegressor.from_pretrained(str(out), strict=True)
    assert model.targets == TARGETS
    from safetensors.torch import load_file, save_file

    weights = load_file(str(out / "model.safetensors"))
    weights["extra.weight"] = weights[next(iter(weights))].clone()
    broken = tmp_path / "broken"
    shutil.copytree(out, broken, ignore=shutil.ignore_patterns("checkpoints"))
    save_file(weights, str(broken / "model.safetensors"))
    with pytest.raises(RuntimeError, match="extra.weight"):
        TextPredictor.from_pretrained(broken)


def test_pqpp_predict_command(finished, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = finished
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red bus on a street\n\nan astronaut riding a horse\n")
    result = tmp_path / "scores" / "out.csv"
    cli.main(
        ["predict", "--model", str(out), "--input", str(prompts), "--output", str(result), "--device", "cpu"]
    )
    assert "wrote 2 predictions" in capsys.readouterr().out
    with result.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["prompt"] for r in rows] == ["a red bus on a street", "an astronaut riding a horse"]
    expected = TextPredictor.from_pretrained(out, device="cpu").predict([r["prompt"] for r in rows])
    assert float(rows[1]["clip_rr"]) == pytest.approx(expected["clip_rr"][1], abs=1e-6)
    bad = tmp_path / "bad.csv"
    bad.write_text("text\nhello\n")
    with pytest.raises(ValueError, match="'prompt' column"):
        cli.main(["predict", "--model", str(out), "--input", str(bad), "--output", str(result)])


class FakeHub:
    def __init__(self, *args, **kwargs) -> None:
        self.calls: list = []
        FakeHub.last = self

    def create_repo(self, *args, **kwargs):
        self.calls.append(("create_repo", args, kwargs))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", (), kwargs))


def test_push_uploads_no_checkpoint(finished) -> None:
    from huggingface_hub.utils import filter_repo_objects

    out, _ = finished
    hub = FakeHub()
    text.push_run(out, "org/tiny", "token", api=hub)
    (_, _, upload), = [c for c in hub.calls if c[0] == "upload_folder"]  # fmt: skip
    assert upload["repo_id"] == "org/tiny"
    assert upload["folder_path"] == str(out)
    files = [str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()]
    uploaded = list(filter_repo_objects(files, ignore_patterns=upload["ignore_patterns"]))
    assert "model.safetensors" in uploaded
    assert "README.md" in uploaded
    assert not [f for f in uploaded if f.startswith("checkpoints") or f.endswith((".bin", ".pkl"))]


def test_push_to_hub_from_the_trainer(tiny_bert, data_root, tmp_path, monkeypatch) -> None:
    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeHub)
    _run(tiny_bert, data_root, tmp_path / "out", "--targets", "sdxl_score", "--max_train_steps", "1",
         "--push_to_hub", "--hub_model_id", "org/tiny", "--hub_token", "hf_x")  # fmt: skip
    assert [c[0] for c in FakeHub.last.calls] == ["create_repo", "upload_folder"]


@pytest.mark.parametrize(
    ("extra", "error", "match"),
    [
        (["--targets", "clip_p20"], ValueError, "unknown target 'clip_p20'"),
        (["--push_to_hub", "--hub_model_id", "org/x"], RuntimeError, "HF_HUB_OFFLINE is set"),
        (["--push_to_hub"], ValueError, "pushing needs a Hub repo id"),
        (["--checkpointing_steps", "often"], ValueError, "integer or 'epoch'"),
        (["--resume_from_checkpoint", "/nonexistent"], FileNotFoundError, "is not a checkpoint"),
        (["--data_dir", "/nonexistent"], FileNotFoundError, "is not a folder"),
    ],
)
def test_bad_flags_fail_before_training(tiny_bert, data_root, tmp_path, extra, error, match) -> None:
    with pytest.raises(error, match=match):
        _run(tiny_bert, data_root, tmp_path / "out", "--max_train_steps", "1", *extra)
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_finished_output_is_not_overwritten(finished, tiny_bert, data_root) -> None:
    out, _ = finished
    with pytest.raises(FileExistsError, match="already holds a trained model"):
        _run(tiny_bert, data_root, out, "--max_train_steps", "1")


def test_heads_and_poolings(tiny_bert: Path) -> None:
    import torch

    batch = {"input_ids": torch.tensor([[101, 2000, 102, 0]]), "attention_mask": torch.tensor([[1, 1, 1, 0]])}
    for pooling in ("mean", "cls", "pooler"):
        for head in ("linear", "mlp"):
            model = TextRegressor.from_encoder(
                str(tiny_bert), ["clip_p10", "sdxl_score"], pooling=pooling, head=head
            )
            assert model(**batch).shape == (1, 2)
    model = TextRegressor.from_encoder(
        str(tiny_bert), ["sdxl_score"], normalization={"sdxl_score": [-1.0, 3.0]}
    )
    assert model.denormalize(torch.tensor([[0.5]])).item() == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown pooling"):
        TextRegressor.from_encoder(str(tiny_bert), ["sdxl_score"], pooling="max")


def test_help_documents_the_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        text.parse_args(["--help"])
    out = capsys.readouterr().out
    for flag in (
        "--model_name_or_path",
        "--targets",
        "--resume_from_checkpoint",
        "--push_to_hub",
        "--paper_recipe",
    ):
        assert flag in out
    args = text.parse_args(["--output_dir", "x", "--paper_recipe"])
    assert (args.pooling, args.head, args.head_hidden, args.normalization) == ("pooler", "mlp", 512, "paper")


@pytest.mark.slow
def test_two_cpu_processes(tiny_bert, data_root, tmp_path) -> None:
    """Two CPU processes (gloo): every prompt predicted once, all steps done."""
    from conftest import launch_on_cpu

    script = Path(__file__).resolve().parents[1] / "trainers" / "train_bert.py"
    launch_on_cpu(2, script, [
        "--model_name_or_path", str(tiny_bert), "--output_dir", str(tmp_path / "out"),
        "--data_dir", str(data_root / "v1.0"), "--dataset_version", "1.0.0", "--max_train_steps", "4",
        "--eval_steps", "2", "--per_device_train_batch_size", "8", "--targets", "clip_rr",
    ])  # fmt: skip
    results = json.loads((tmp_path / "out" / "all_results.json").read_text())
    assert results["num_processes"] == 2
    assert results["completed_steps"] == 4
    assert results["test"]["clip_rr"]["n"] == 2000
    with (tmp_path / "out" / "predictions" / "test.csv").open() as handle:
        ids = [row["prompt_id"] for row in csv.DictReader(handle)]
    assert len(ids) == len(set(ids)) == 2000
