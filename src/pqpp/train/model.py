"""A text encoder with a regression head: the pre-generation / pre-retrieval performance predictor.

``TextRegressor`` is an ``nn.Module`` with ``save_pretrained`` / ``from_pretrained`` / ``push_to_hub`` from
``PyTorchModelHubMixin``. Its ``config.json`` holds the encoder's configuration (so loading needs no
download), the targets, the pooling and head choices, and the normalisation that maps outputs back to
the original scale.

Example:
    >>> from transformers import BertConfig
    >>> tiny = BertConfig(vocab_size=50, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
    ...                   intermediate_size=16).to_dict()
    >>> model = TextRegressor(tiny, targets=["clip_p10", "sdxl_score"], head="mlp", head_hidden=4)
    >>> import torch
    >>> model(torch.tensor([[1, 5, 2]]), torch.tensor([[1, 1, 1]])).shape
    torch.Size([1, 2])
"""

from __future__ import annotations

from typing import Any

import torch
from huggingface_hub import PyTorchModelHubMixin
from torch import nn
from transformers import AutoConfig, AutoModel

__all__ = ["HEADS", "POOLINGS", "TextRegressor"]

POOLINGS = ("mean", "cls", "pooler")
HEADS = ("linear", "mlp")


class TextRegressor(
    nn.Module,
    PyTorchModelHubMixin,
    library_name="pqpp",
    tags=["pqpp", "query-performance-prediction", "prompt-performance-prediction"],
    repo_url="https://github.com/Eduard6421/PQPP",
):
    """Encoder → pooling → head, one output per target.

    Args:
        encoder_config: the encoder's ``PretrainedConfig.to_dict()`` (with ``model_type``).
        targets: target names, one output each.
        pooling: ``mean`` (masked mean of the last hidden states), ``cls`` (first token) or ``pooler`` (the
            encoder's pooled output, BERT's ``[CLS]`` + dense + tanh — the paper's choice).
        head: ``linear`` or ``mlp`` (hidden → ``head_hidden`` → ReLU → outputs; the paper's 768→512→1).
        head_hidden: width of the MLP head.
        dropout: dropout before the head's last layer.
        normalization: ``{target: [shift, scale]}``; outputs are ``(y - shift) / scale`` (see
            :mod:`pqpp.train.targets`).
    """

    def __init__(
        self,
        encoder_config: dict[str, Any],
        targets: list[str],
        pooling: str = "mean",
        head: str = "linear",
        head_hidden: int = 512,
        dropout: float = 0.1,
        normalization: dict[str, list[float]] | None = None,
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"unknown pooling {pooling!r}; valid: {POOLINGS}")
        if head not in HEADS:
            raise ValueError(f"unknown head {head!r}; valid: {HEADS}")
        self.targets = list(targets)
        self.pooling = pooling
        self.normalization = normalization or {t: [0.0, 1.0] for t in targets}
        config = AutoConfig.for_model(**encoder_config)
        try:  # no unused pooler weights unless asked for (DDP rejects unused parameters)
            self.encoder = AutoModel.from_config(config, add_pooling_layer=pooling == "pooler")
        except TypeError:  # architectures without a pooler option
            if pooling == "pooler":
                raise ValueError(
                    f"{config.model_type} has no pooled output; use pooling 'mean' or 'cls'"
                ) from None
            self.encoder = AutoModel.from_config(config)
        width = config.hidden_size
        if head == "mlp":
            self.head = nn.Sequential(
                nn.Linear(width, head_hidden),
                nn.ReLU(),
                nn.Dropout(dropout),
                nn.Linear(head_hidden, len(targets)),
            )
        else:
            self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(width, len(targets)))
        shift_scale = torch.tensor([self.normalization[t] for t in self.targets], dtype=torch.float32)
        self.register_buffer("shift", shift_scale[:, 0], persistent=False)
        self.register_buffer("scale", shift_scale[:, 1], persistent=False)

    @classmethod
    def from_encoder(cls, model_name_or_path: str, targets: list[str], **kwargs: Any) -> TextRegressor:
        """A new regressor around pretrained encoder weights (``AutoModel.from_pretrained``)."""
        pretrained = AutoModel.from_pretrained(model_name_or_path)
        model = cls(pretrained.config.to_dict(), targets, **kwargs)
        missing, unexpected = model.encoder.load_state_dict(pretrained.state_dict(), strict=False)
        # Only the pooler may differ: dropped when unused, freshly initialised when the checkpoint lacks it.
        missing, unexpected = (
            [k for k in keys if not k.startswith("pooler.")] for keys in (missing, unexpected)
        )
        if missing or unexpected:
            raise RuntimeError(f"encoder weights do not fit: missing {missing}, unexpected {unexpected}")
        return model

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Normalised predictions, shape ``(batch, targets)``."""
        kwargs = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        if self.pooling == "pooler":
            pooled = out.pooler_output
        elif self.pooling == "cls":
            pooled = out.last_hidden_state[:, 0]
        else:
            mask = attention_mask.unsqueeze(-1).to(out.last_hidden_state.dtype)
            pooled = (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1)
        return self.head(pooled)

    def denormalize(self, outputs: torch.Tensor) -> torch.Tensor:
        """Map normalised outputs back to each target's original scale."""
        return outputs.float() * self.scale + self.shift
