"""Text-to-image generators and the settings they run with, written down explicitly.

``sdxl`` is the model PQPP's SDXL images were made with, with the settings of the diffusers release of
that time (September 2023, diffusers 0.21) written out instead of inheriting whatever today's defaults
are: fp16, 50 steps, guidance 5.0, 1024×1024, ``EulerDiscreteScheduler``. ``glide`` is GLIDE (filtered)
through OpenAI's ``glide_text2im`` (not in diffusers): 64 px base with 100 steps and guidance 3.0, then
the 256 px upsampler (see :mod:`pqpp.generation.glide`). Any other diffusers text-to-image model is a
:class:`GeneratorSpec` with explicit values.

Example:
    >>> GENERATORS["sdxl"].model_id
    'stabilityai/stable-diffusion-xl-base-1.0'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from pqpp.dtypes import DTYPES

__all__ = ["BACKENDS", "GENERATORS", "GeneratorSpec", "get_generator"]

BACKENDS = ("diffusers", "glide")


@dataclass(frozen=True)
class GeneratorSpec:
    """A diffusers text-to-image model and its sampling settings.

    Attributes:
        model_id: Hub id or local folder of the diffusers pipeline.
        steps: denoising steps.
        guidance: classifier-free guidance scale.
        height, width: image size in pixels (multiples of 8).
        scheduler: diffusers scheduler class name (``None``: the pipeline's own).
        dtype: ``fp32``, ``fp16`` or ``bf16``.
        slots: file numbers in the upstream archive layout (SDXL's images are ``image_4/5.png``).
        revision: model revision (commit) to load.
        backend: ``diffusers`` or ``glide`` (``glide_text2im``).
    """

    model_id: str
    steps: int
    guidance: float
    height: int
    width: int
    scheduler: str | None = None
    dtype: str = "fp16"
    slots: tuple[int, ...] = ()
    revision: str | None = None
    backend: str = "diffusers"

    def __post_init__(self) -> None:
        if self.steps < 1:
            raise ValueError(f"steps must be positive, got {self.steps}")
        if self.height % 8 or self.width % 8 or self.height < 8 or self.width < 8:
            raise ValueError(f"image size must be a positive multiple of 8, got {self.height}x{self.width}")
        if self.dtype not in DTYPES:
            raise ValueError(f"unknown dtype {self.dtype!r}; valid: {DTYPES}")
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown backend {self.backend!r}; valid: {BACKENDS}")
        if self.backend == "glide":
            from pqpp.generation.glide import check_spec

            check_spec(self)

    def as_dict(self) -> dict:
        return asdict(self)


GENERATORS: dict[str, GeneratorSpec] = {
    "sdxl": GeneratorSpec(
        model_id="stabilityai/stable-diffusion-xl-base-1.0",
        steps=50,
        guidance=5.0,
        height=1024,
        width=1024,
        scheduler="EulerDiscreteScheduler",
        dtype="fp16",
        slots=(4, 5),
    ),
    "glide": GeneratorSpec(
        model_id="openai/glide-text2im",
        steps=100,
        guidance=3.0,
        height=256,
        width=256,
        dtype="fp16",
        slots=(7, 8),
        backend="glide",
    ),
}


def get_generator(name: str) -> GeneratorSpec:
    """A registered generator.

    Raises:
        ValueError: an unknown name, listing the registered ones.
    """
    try:
        return GENERATORS[name]
    except KeyError:
        raise ValueError(
            f"unknown generator {name!r}; registered: {sorted(GENERATORS)} (or pass --model_id)"
        ) from None
