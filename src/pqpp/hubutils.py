"""Checks shared by everything that pushes to the Hub: done before any work, so a run never trains for
an hour and then fails to upload."""

from __future__ import annotations

import os

__all__ = ["check_push"]


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in {"1", "ON", "YES", "TRUE"}


def check_push(repo_id: str | None, token: str | None = None) -> str:
    """Validate a push before any work; return the token to use.

    Raises:
        ValueError: missing or invalid ``repo_id`` (it must be ``ORG/NAME``).
        RuntimeError: offline mode (``HF_HUB_OFFLINE``), or no token (``hf auth login`` / ``HF_TOKEN``).
    """
    from huggingface_hub import get_token
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    if not repo_id:
        raise ValueError("pushing needs a Hub repo id (ORG/NAME)")
    try:
        validate_repo_id(repo_id)
    except HFValidationError as error:
        raise ValueError(f"invalid Hub repo id {repo_id!r}: {error}") from None
    if "/" not in repo_id:
        raise ValueError(f"invalid Hub repo id {repo_id!r}: expected 'ORG/NAME'")
    if _offline():
        raise RuntimeError("HF_HUB_OFFLINE is set: pushing to the Hub needs the network; unset it to push")
    token = token or get_token()
    if not token:
        raise RuntimeError("no Hugging Face token: run `hf auth login` or set HF_TOKEN, then push again")
    return token
