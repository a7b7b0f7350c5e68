"""The contract between the generation loop and a model backend: draw images for prompts, one random
generator per image, and say which images a safety checker flagged.

Backends: :mod:`pqpp.generation.diffusers_drawer` (any diffusers text-to-image pipeline) and
:mod:`pqpp.generation.glide` (OpenAI's ``glide_text2im``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from pqpp.dtypes import torch_dtype

if TYPE_CHECKING:
    import torch
    from PIL import Image

    from pqpp.generation.specs import GeneratorSpec

__all__ = ["Drawer", "Drawing", "load_drawer", "runtime_dtype"]


class Drawing(NamedTuple):
    """``images[k]`` was drawn for ``prompts[k]``; ``nsfw_flags[k]`` is the safety checker's verdict on it, or
    ``None`` where no checker ran."""

    images: list[Image.Image]
    nsfw_flags: list[bool | None]


class Drawer(Protocol):
    """Draws ``prompts[k]`` with every random number taken from ``generators[k]``, so that an image depends on
    its own generator only — never on its batch position or its batch mates' seeds."""

    #: constant fields every manifest entry of this backend carries (backend name and settings beyond the spec)
    manifest_fields: dict[str, Any]

    def __call__(self, prompts: list[str], generators: list[torch.Generator]) -> Drawing: ...


def runtime_dtype(name: str, device: str) -> torch.dtype:
    """The dtype to run ``name`` in on ``device``: fp16 falls back to fp32 on CPU (kernels missing or slow)."""
    import torch

    dtype = torch_dtype(name)
    return torch.float32 if device == "cpu" and dtype == torch.float16 else dtype


def load_drawer(
    spec: GeneratorSpec,
    device: str,
    *,
    compile_: bool = False,
    cpu_offload: bool = False,
    safety_checker: str = "record",
    cache_dir: str | None = None,
) -> Drawer:
    """The backend ``spec`` names, loaded on ``device``.

    Args:
        compile_: ``torch.compile`` the denoiser (default mode).
        cpu_offload: diffusers' model CPU offload.
        safety_checker: diffusers pipelines with a checker: ``record`` (flag, keep the image as drawn),
            ``blank`` (the pipeline's behaviour: flagged images come out black, and are flagged) or ``off``.
        cache_dir: where GLIDE's checkpoints are (or are downloaded to).
    """
    if spec.backend == "glide":
        from pqpp.generation.glide import GlideDrawer

        return GlideDrawer.from_pretrained(spec, device, compile_=compile_, cache_dir=cache_dir)
    from pqpp.generation.diffusers_drawer import DiffusersDrawer

    return DiffusersDrawer.from_pretrained(
        spec, device, compile_=compile_, cpu_offload=cpu_offload, safety_checker=safety_checker
    )
