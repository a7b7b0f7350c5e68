"""Training PQPP performance predictors (needs the ``train`` extra: torch, transformers, accelerate)."""
