"""Shared fixtures. Tests are offline: every Hugging Face library is put in offline mode and given a
private cache, and the upstream data comes only from ``PQPP_DATA_DIR``."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

_CACHE = Path(tempfile.mkdtemp(prefix="pqpp-tests-hf-"))
for _name, _value in {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_EVALUATE_OFFLINE": "1",
    "HF_HOME": str(_CACHE),
    "HF_DATASETS_CACHE": str(_CACHE / "datasets"),
    "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    "PQPP_CACHE": str(_CACHE / "pqpp"),
}.items():
    os.environ[_name] = _value

DATA_ENV = "PQPP_DATA_DIR"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--runslow", action="store_true", help="also run tests marked slow")
    parser.addoption("--rungpu", action="store_true", help="also run tests marked gpu (needs CUDA)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "slow" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(pytest.mark.skip(reason="slow test: run with --runslow"))
        if "gpu" in item.keywords and not config.getoption("--rungpu"):
            item.add_marker(pytest.mark.skip(reason="GPU test: run with --rungpu on a CUDA machine"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(_CACHE, ignore_errors=True)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The folder of upstream releases (``PQPP_DATA_DIR``); data tests skip without it."""
    value = os.environ.get(DATA_ENV)
    if not value:
        pytest.skip(
            f"{DATA_ENV} is not set: data tests need the upstream copy, e.g. {DATA_ENV}=../shared/pqpp-upstream"
        )
    root = Path(value)
    if not root.is_dir():
        pytest.fail(f"{DATA_ENV}={value!r} is not a folder")
    return root


@pytest.fixture(scope="session")
def upstream_rows(data_root: Path) -> dict[str, dict[str, list[dict]]]:
    """Canonical rows of both releases, read once: ``{version: {split: rows}}``."""
    from pqpp.data.registry import get_release
    from pqpp.data.sources import resolve_files
    from pqpp.data.upstream import read_release

    releases = [get_release(version) for version in ("1.0.0", "1.1.0")]
    return {r.version: read_release(r, resolve_files(r, data_root / r.folder)) for r in releases}


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 16-wide BERT with random weights and the packaged MiniLM tokenizer: no download."""
    pytest.importorskip("torch", reason="needs the train extra (torch)")
    from transformers import AutoTokenizer, BertConfig, BertModel

    from pqpp.train.text import default_model

    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(default_model())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=32, max_position_embeddings=64,
    )  # fmt: skip
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def launch_on_cpu(processes: int, script: Path, args: list[str]) -> None:
    """Run ``script`` in ``processes`` CPU processes, as ``torchrun`` does for ``accelerate`` (gloo backend).

    ``accelerate launch --cpu`` starts a single process, so multi-process CPU tests use torchrun with
    ``ACCELERATE_USE_CPU=1``; one thread per process, as accelerate sets it, keeps results comparable.
    """
    import socket
    import subprocess
    import sys

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "ACCELERATE_USE_CPU": "1", "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
               "--master_addr", "127.0.0.1", "--master_port", str(port), str(script), *args]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    if result.returncode:
        raise AssertionError(f"{processes}-process run failed:\n{result.stderr[-3000:]}")
