"""GLIDE (filtered) through OpenAI's ``glide_text2im`` package, as a :class:`~pqpp.generation.drawing.Drawer`.

GLIDE is not in diffusers. The recipe is glide_text2im's text2im notebook, the one PQPP's GLIDE images were
made with: the 64 px base model sampled with ``steps`` (100) respaced DDPM steps and classifier-free guidance
``guidance`` (3.0), then the 256 px upsampler, conditioned on the base image rounded to 8 bits, with 27
respaced DDIM steps (``fast27``) from noise at temperature 0.997.

One difference, on purpose: glide_text2im's sampling loop draws every step's noise for the whole batch from the
global RNG, so an image would depend on its batch. Here image ``k``'s random numbers (base start noise, the
noise of each base step, the upsampler's start noise, in that order) all come from generator ``k``.

``glide_text2im`` is not on PyPI: ``pip install git+https://github.com/openai/glide-text2im``. Checkpoints
(``base.pt``, ``upsample.pt``) are read from ``cache_dir`` when present, else downloaded there by the package.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pqpp.cache import cache_dir as pqpp_cache_dir
from pqpp.generation.drawing import Drawing, runtime_dtype

if TYPE_CHECKING:
    import torch

    from pqpp.generation.specs import GeneratorSpec

__all__ = ["INSTALL", "UPSAMPLED_SIZE", "GlideDrawer", "require_glide"]

INSTALL = "pip install git+https://github.com/openai/glide-text2im"
UPSAMPLE_RESPACING = "fast27"
UPSAMPLE_TEMPERATURE = 0.997
UPSAMPLED_SIZE = 256


def require_glide() -> None:
    """Raise a clear ImportError, naming how to install it, when ``glide_text2im`` is not importable."""
    if importlib.util.find_spec("glide_text2im") is None:
        raise ImportError(
            f"the GLIDE generator runs on OpenAI's glide_text2im package, which is not on PyPI; install it "
            f"with: {INSTALL}"
        )


def check_spec(spec: GeneratorSpec) -> None:
    """GLIDE's fixed parts: 256 px output (64 px base, x4 upsampler), no scheduler choice, fp32 or fp16."""
    if (spec.height, spec.width) != (UPSAMPLED_SIZE, UPSAMPLED_SIZE):
        raise ValueError(
            f"GLIDE draws 64 px and upsamples to {UPSAMPLED_SIZE} px; got {spec.height}x{spec.width}"
        )
    if spec.scheduler:
        raise ValueError("GLIDE samples with its own respaced DDPM/DDIM loops; --scheduler does not apply")
    if spec.dtype == "bf16":
        raise ValueError("glide_text2im runs in fp32 or fp16 (convert_to_fp16), not bf16")


class GlideDrawer:
    """Draws with a base model/diffusion pair and an upsampler pair made by ``create_model_and_diffusion``."""

    def __init__(self, base: Any, base_diffusion: Any, upsampler: Any, upsampler_diffusion: Any, *,
                 base_options: dict[str, Any], upsampler_options: dict[str, Any], guidance: float,
                 device: str) -> None:  # fmt: skip
        self.base, self.base_diffusion = base, base_diffusion
        self.upsampler, self.upsampler_diffusion = upsampler, upsampler_diffusion
        self.size, self.text_ctx = base_options["image_size"], base_options["text_ctx"]
        self.upsampler_size, self.upsampler_text_ctx = (
            upsampler_options["image_size"],
            upsampler_options["text_ctx"],
        )
        self.guidance, self.device = guidance, device
        self.manifest_fields = {
            "backend": "glide_text2im",
            "upsampler_respacing": UPSAMPLE_RESPACING,
            "upsample_temperature": UPSAMPLE_TEMPERATURE,
        }

    @classmethod
    def from_options(
        cls,
        base_options: dict[str, Any],
        upsampler_options: dict[str, Any],
        guidance: float,
        device: str,
        *,
        compile_: bool = False,
        checkpoints: dict[str, dict] | None = None,
    ) -> GlideDrawer:
        """Create both models from ``create_model_and_diffusion`` options (as the notebook does: eval, fp16
        conversion when ``use_fp16``, device, then the ``checkpoints`` state dicts keyed ``base``/``upsample``)."""
        require_glide()
        from glide_text2im.model_creation import create_model_and_diffusion

        pairs = []
        for name, options in (("base", base_options), ("upsample", upsampler_options)):
            model, diffusion = create_model_and_diffusion(**options)
            model.eval()
            if options["use_fp16"]:
                model.convert_to_fp16()
            model.to(device)
            if checkpoints is not None:
                model.load_state_dict(checkpoints[name])
            if compile_:
                model.compile()
            pairs += [model, diffusion]
        return cls(*pairs, base_options=base_options, upsampler_options=upsampler_options, guidance=guidance,
                   device=device)  # fmt: skip

    @classmethod
    def from_pretrained(
        cls, spec: GeneratorSpec, device: str, *, compile_: bool = False, cache_dir: str | None = None
    ) -> GlideDrawer:
        """GLIDE (filtered) with its released checkpoints and the notebook's settings; ``spec.steps`` respaces
        the base model's diffusion (``spec`` was checked by :func:`check_spec` when it was made)."""
        require_glide()
        import torch
        from glide_text2im.model_creation import (
            model_and_diffusion_defaults,
            model_and_diffusion_defaults_upsampler,
        )

        fp16 = runtime_dtype(spec.dtype, device) == torch.float16
        base = {**model_and_diffusion_defaults(), "use_fp16": fp16, "timestep_respacing": str(spec.steps)}
        upsampler = {**model_and_diffusion_defaults_upsampler(), "use_fp16": fp16,
                     "timestep_respacing": UPSAMPLE_RESPACING}  # fmt: skip
        folder = Path(cache_dir) if cache_dir else pqpp_cache_dir("glide")
        checkpoints = {name: _checkpoint(name, device, folder) for name in ("base", "upsample")}
        return cls.from_options(
            base, upsampler, spec.guidance, device, compile_=compile_, checkpoints=checkpoints
        )

    def __call__(self, prompts: list[str], generators: list[torch.Generator]) -> Drawing:
        import torch
        from PIL import Image

        def noise(size: int, scale: float = 1.0) -> torch.Tensor:
            draws = [torch.randn((3, size, size), generator=generator) for generator in generators]
            return (torch.stack(draws) * scale).to(self.device)

        n = len(prompts)
        tokens, mask = self._tokens(self.base, prompts, self.text_ctx)
        blank, blank_mask = self._tokens(self.base, [""] * n, self.text_ctx)
        conditioning = {"tokens": torch.cat([tokens, blank]), "mask": torch.cat([mask, blank_mask])}

        def guided(x: torch.Tensor, ts: torch.Tensor, **_: Any) -> torch.Tensor:
            out = self.base(torch.cat([x, x]), torch.cat([ts, ts]), **conditioning)
            cond, uncond = out[:, :3].split(n)
            return torch.cat([uncond + self.guidance * (cond - uncond), out[:n, 3:]], dim=1)

        with torch.no_grad():
            self.base.del_cache()
            x = noise(self.size)
            for step in reversed(range(self.base_diffusion.num_timesteps)):
                t = torch.full((n,), step, dtype=torch.long, device=self.device)
                out = self.base_diffusion.p_mean_variance(guided, x, t, clip_denoised=True)
                x = out["mean"] + (torch.exp(0.5 * out["log_variance"]) * noise(self.size) if step else 0)
            self.base.del_cache()
            up_tokens, up_mask = self._tokens(self.upsampler, prompts, self.upsampler_text_ctx)
            self.upsampler.del_cache()
            images = self.upsampler_diffusion.ddim_sample_loop(
                self.upsampler,
                (n, 3, self.upsampler_size, self.upsampler_size),
                noise=noise(self.upsampler_size, UPSAMPLE_TEMPERATURE),
                device=self.device,
                clip_denoised=True,
                progress=False,
                model_kwargs={"low_res": _to_8_bits(x), "tokens": up_tokens, "mask": up_mask},
            )
            self.upsampler.del_cache()
        pixels = _levels(images).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
        return Drawing([Image.fromarray(p) for p in pixels], [None] * n)

    def _tokens(self, model: Any, prompts: list[str], text_ctx: int) -> tuple[torch.Tensor, torch.Tensor]:
        import torch

        encode, pad = model.tokenizer.encode, model.tokenizer.padded_tokens_and_mask
        pairs = [pad(encode(prompt) if prompt else [], text_ctx) for prompt in prompts]  # "": unconditional
        tokens = torch.tensor([t for t, _ in pairs], device=self.device)
        return tokens, torch.tensor([m for _, m in pairs], dtype=torch.bool, device=self.device)


def _levels(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] as the nearest of 256 grey levels (0..255, unclamped)."""
    return ((x + 1) * 127.5).round()


def _to_8_bits(x: torch.Tensor) -> torch.Tensor:
    """The base image as the upsampler was trained to see it: rounded to 256 levels, back in [-1, 1]."""
    return _levels(x) / 127.5 - 1


def _checkpoint(name: str, device: str, folder: Path) -> dict:
    """``folder/<name>.pt`` read as tensors only (never unpickling code), downloaded by glide_text2im if missing."""
    import torch

    path = folder / f"{name}.pt"
    if path.is_file():
        return torch.load(path, map_location=device, weights_only=True)
    from glide_text2im.download import load_checkpoint

    folder.mkdir(parents=True, exist_ok=True)
    return load_checkpoint(name, device, cache_dir=str(folder))
