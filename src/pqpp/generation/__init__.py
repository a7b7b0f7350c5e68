"""Regenerating PQPP's images with diffusers models (``generation`` extra)."""
