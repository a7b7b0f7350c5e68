"""Any diffusers text-to-image pipeline as a :class:`~pqpp.generation.drawing.Drawer`.

PyTorch SDPA attention, optional ``torch.compile`` of the denoiser and model CPU offload; the pipeline's
progress bars are off (the generation loop shows one bar for the whole job). A pipeline's safety checker
(Stable Diffusion 1.x/2.x ship one; SDXL does not) is run by us in ``record`` mode, so flagged images are
recorded and kept as drawn rather than silently replaced by black ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from pqpp.generation.drawing import Drawing, runtime_dtype

if TYPE_CHECKING:
    import torch
    from PIL import Image

    from pqpp.generation.specs import GeneratorSpec

__all__ = ["SAFETY_MODES", "DiffusersDrawer", "import_diffusers"]

SAFETY_MODES = ("record", "blank", "off")


def import_diffusers() -> Any:
    try:
        import diffusers
    except ImportError as error:
        raise ImportError('generation needs diffusers: pip install "pqpp[generation]"') from error
    return diffusers


class DiffusersDrawer:
    """Draws with ``pipe``; in ``record`` mode ``checker``/``extractor`` are the pipeline's safety checker and
    its feature extractor, taken out of the pipeline and run on the finished images."""

    def __init__(self, pipe: Any, spec: GeneratorSpec, safety_checker: str | None, checker: Any = None,
                 extractor: Any = None) -> None:  # fmt: skip
        self.pipe, self.spec, self.checker, self.extractor = pipe, spec, checker, extractor
        self.manifest_fields = {"backend": "diffusers", "safety_checker": safety_checker}

    @classmethod
    def from_pretrained(
        cls,
        spec: GeneratorSpec,
        device: str,
        *,
        compile_: bool = False,
        cpu_offload: bool = False,
        safety_checker: str = "record",
    ) -> DiffusersDrawer:
        if safety_checker not in SAFETY_MODES:
            raise ValueError(f"unknown safety_checker mode {safety_checker!r}; valid: {SAFETY_MODES}")
        diffusers = import_diffusers()
        dtype = runtime_dtype(spec.dtype, device)
        pipe = diffusers.AutoPipelineForText2Image.from_pretrained(
            spec.model_id, dtype=dtype, revision=spec.revision
        )
        if spec.scheduler:
            pipe.scheduler = getattr(diffusers, spec.scheduler).from_config(pipe.scheduler.config)
        pipe.set_progress_bar_config(disable=True)
        has_checker = getattr(pipe, "safety_checker", None) is not None
        checker = pipe.safety_checker.to(device) if has_checker and safety_checker == "record" else None
        if has_checker and safety_checker != "blank":
            pipe.safety_checker = None  # the pipeline no longer blanks anything
        if cpu_offload:
            pipe.enable_model_cpu_offload()
        else:
            pipe = pipe.to(device)
        denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
        if denoiser is not None and hasattr(denoiser, "set_attn_processor"):
            from diffusers.models.attention_processor import AttnProcessor2_0

            denoiser.set_attn_processor(AttnProcessor2_0())  # PyTorch SDPA
        if compile_ and denoiser is not None:
            denoiser.compile()
        mode = safety_checker if has_checker else None  # None: the pipeline has no checker to run
        return cls(pipe, spec, mode, checker, getattr(pipe, "feature_extractor", None))

    def __call__(self, prompts: list[str], generators: list[torch.Generator]) -> Drawing:
        spec = self.spec
        result = self.pipe(
            prompts,
            num_inference_steps=spec.steps,
            guidance_scale=spec.guidance,
            height=spec.height,
            width=spec.width,
            generator=generators,
        )
        images = result.images
        if self.checker is not None:
            flags = self._flags(images)
        else:
            flags = getattr(result, "nsfw_content_detected", None) or [None] * len(images)
        return Drawing(images, [None if flag is None else bool(flag) for flag in flags])

    def _flags(self, images: list[Image.Image]) -> list[bool]:
        """The checker's verdicts on the images as saved (what the pipeline would have judged), images kept."""
        import torch

        parameter = next(self.checker.parameters())
        inputs = self.extractor(images, return_tensors="pt").pixel_values.to(
            parameter.device, parameter.dtype
        )
        scratch = np.zeros((len(images), 1, 1, 3), dtype=np.float32)  # the checker blacks out its copy only
        with torch.no_grad():
            _, flags = self.checker(images=scratch, clip_input=inputs)
        return list(flags)
