"""GLIDE through glide_text2im: the clear install error, the spec checks, and our sampling loop.

glide_text2im is not on PyPI and this project's machines cannot reach GitHub, so the loop is tested here with
stand-in models and diffusions that follow glide_text2im's interfaces (``create_model_and_diffusion``'s models:
``model(x, ts, tokens=, mask=[, low_res=])`` -> 6 channels, ``model.tokenizer``, ``model.del_cache()``; its
``SpacedDiffusion``: ``num_timesteps``, ``p_mean_variance``, ``ddim_sample_loop``). The last test runs the real
package on tiny random models wherever it is installed.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from pqpp.generation import pipeline
from pqpp.generation.glide import GlideDrawer

torch = pytest.importorskip("torch", reason="GLIDE tests need torch (generation extra)")

HAS_GLIDE = importlib.util.find_spec("glide_text2im") is not None


@pytest.mark.skipif(HAS_GLIDE, reason="glide_text2im is installed here")
def test_missing_package_is_named_with_its_install_command_before_any_work(tmp_path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red cube\n")
    with pytest.raises(
        ImportError,
        match=r"not on PyPI; install it with: pip install git\+https://github.com/openai/glide-text2im",
    ):
        pipeline.main(
            ["--generator", "glide", "--prompts_file", str(prompts), "--output_dir", str(tmp_path / "out")]
        )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        (["--height", "512", "--width", "512"], "GLIDE draws 64 px and upsamples to 256 px; got 512x512"),
        (["--dtype", "bf16"], "not bf16"),
        (["--scheduler", "EulerDiscreteScheduler"], "--scheduler does not apply"),
    ],
)
def test_glide_settings_are_checked_first(tmp_path, extra, match) -> None:
    with pytest.raises(ValueError, match=match):
        pipeline.main(["--generator", "glide", *extra, "--output_dir", str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()


def test_glide_registry_entry_is_the_papers_recipe() -> None:
    from pqpp.generation.specs import get_generator

    glide = get_generator("glide")
    assert (glide.steps, glide.guidance, glide.height, glide.slots, glide.backend) == (
        100,
        3.0,
        256,
        (7, 8),
        "glide",
    )


class StandInTokenizer:
    def encode(self, text: str) -> list[int]:
        return [1 + ord(c) % 40 for c in text.lower()]

    def padded_tokens_and_mask(self, tokens: list[int], text_ctx: int) -> tuple[list[int], list[bool]]:
        tokens = tokens[:text_ctx]
        padding = text_ctx - len(tokens)
        return tokens + [0] * padding, [True] * len(tokens) + [False] * padding


class StandInModel(torch.nn.Module):
    """eps is an elementwise function of x, the step and the prompt's tokens: no operation mixes batch rows."""

    tokenizer = StandInTokenizer()

    def forward(self, x, ts, tokens, mask, low_res=None):
        text = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1)
        eps = torch.tanh(0.5 * x + text.view(-1, 1, 1, 1) / 40 + ts.view(-1, 1, 1, 1) / 1000)
        return torch.cat([eps, torch.zeros_like(eps)], dim=1)

    def del_cache(self) -> None:
        pass


class StandInDiffusion:
    num_timesteps = 4

    def p_mean_variance(self, model, x, t, clip_denoised=True):
        out = model(x, t * 250)  # a SpacedDiffusion hands the model the original step numbers
        assert out.shape == (x.shape[0], 6, *x.shape[2:])
        return {"mean": (x - 0.3 * out[:, :3]).clamp(-1, 1), "log_variance": torch.full_like(x, -4.0)}

    def ddim_sample_loop(self, model, shape, noise, device, clip_denoised, progress, model_kwargs):
        low_res = model_kwargs["low_res"]
        levels = (low_res + 1) * 127.5
        assert torch.allclose(levels, levels.round(), atol=1e-4)  # the base image rounded to 8 bits
        assert model_kwargs["tokens"].shape == (shape[0], 6)  # the upsampler sees the prompt, unguided
        upsampled = torch.nn.functional.interpolate(low_res, shape[2:], mode="nearest")
        return (upsampled + 0.05 * noise).clamp(-1, 1)


def _drawer(guidance: float = 3.0) -> GlideDrawer:
    return GlideDrawer(StandInModel(), StandInDiffusion(), StandInModel(), StandInDiffusion(),
                       base_options={"image_size": 8, "text_ctx": 6}, upsampler_options={"image_size": 16, "text_ctx": 6},
                       guidance=guidance, device="cpu")  # fmt: skip


def _draw(drawer: GlideDrawer, prompts: list[str], seeds: list[int]) -> list[np.ndarray]:
    drawing = drawer(prompts, [torch.Generator().manual_seed(s) for s in seeds])
    assert drawing.nsfw_flags == [None] * len(prompts)
    return [np.asarray(image) for image in drawing.images]


def test_each_image_takes_its_randomness_from_its_own_generator() -> None:
    drawer = _drawer()
    batch = _draw(drawer, ["a red cube", "two cats", "a tree"], [1, 2, 3])
    assert batch[2].shape == (16, 16, 3)
    assert np.array_equal(batch[2], _draw(drawer, ["a tree"], [3])[0])
    assert np.array_equal(batch[0], _draw(drawer, ["a tree", "a red cube"], [3, 1])[1])
    assert not np.array_equal(batch[2], _draw(drawer, ["a tree"], [4])[0])


def test_classifier_free_guidance_mixes_conditional_and_blank_predictions() -> None:
    # guidance 0 keeps only the blank prompt's prediction, which is what any guidance gives for a blank prompt
    unguided = _draw(_drawer(guidance=0.0), ["two cats"], [5])[0]
    assert np.array_equal(unguided, _draw(_drawer(guidance=3.0), [""], [5])[0])
    assert not np.array_equal(unguided, _draw(_drawer(guidance=3.0), ["two cats"], [5])[0])


@pytest.mark.skipif(not HAS_GLIDE, reason="glide_text2im is not installed (not on PyPI: pip install "
                    "git+https://github.com/openai/glide-text2im)")  # fmt: skip
def test_glide_text2im_on_tiny_random_models() -> None:
    from glide_text2im.model_creation import (
        model_and_diffusion_defaults,
        model_and_diffusion_defaults_upsampler,
    )

    tiny = {"num_channels": 32, "num_res_blocks": 1, "num_head_channels": 32, "attention_resolutions": "2",
            "xf_width": 32, "xf_layers": 1, "xf_heads": 1, "text_ctx": 8, "use_fp16": False}  # fmt: skip
    base = {
        **model_and_diffusion_defaults(),
        **tiny,
        "image_size": 8,
        "channel_mult": "1",
        "timestep_respacing": "4",
    }
    upsampler = {**model_and_diffusion_defaults_upsampler(), **tiny, "image_size": 16, "channel_mult": "1,2",
                 "timestep_respacing": "fast27"}  # fmt: skip
    torch.manual_seed(0)
    drawer = GlideDrawer.from_options(base, upsampler, guidance=3.0, device="cpu")
    with torch.no_grad():  # parameters a checkpoint would fill: uninitialised embeddings, zeroed output convs
        for model in (drawer.base, drawer.upsampler):
            for name, parameter in model.named_parameters():
                if name.endswith(("positional_embedding", "padding_embedding")) or not parameter.any():
                    parameter.normal_(std=0.02)
    batch = _draw(drawer, ["a red cube", "two cats", "a tree"], [1, 2, 3])
    alone = _draw(drawer, ["a tree"], [3])[0]
    assert batch[2].shape == (16, 16, 3)
    assert np.abs(batch[2].astype(int) - alone).max() <= 1  # batched convolutions may round differently
    assert not np.array_equal(batch[0], batch[1])
