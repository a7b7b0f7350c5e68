"""Text-to-image retrieval over an image pool, to recompute PQPP's retrieval ground truth (``retrieval`` extra)."""
