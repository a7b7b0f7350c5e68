"""Precision names shared by the command-line tools, and their torch dtypes."""

from __future__ import annotations

from typing import Any

__all__ = ["DTYPES", "torch_dtype"]

DTYPES = ("fp32", "fp16", "bf16")


def torch_dtype(name: str) -> Any:
    """The ``torch.dtype`` of ``fp32``, ``fp16`` or ``bf16``.

    Raises:
        ValueError: another name.
    """
    import torch

    dtypes = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}
    if name not in dtypes:
        raise ValueError(f"unknown dtype {name!r}; valid: {DTYPES}")
    return dtypes[name]
