"""The registry of frame encoder / decoder pairs a video model can be built with (``frame_coder`` in its
hyper-parameters), in the flavour of the code base the model comes from.

==========  =======================================  ===================================================
coder       SVG flavour (edenton/svg)                SRVP flavour (edouardelasalles/srvp)
==========  =======================================  ===================================================
``dcgan``   biases, BatchNorm on the first layer     no biases, no BatchNorm on the first layer
``vgg``     biases (widths fixed at nf = 64)         no biases
``mlp``     —                                        SRVP's Pendulum coder (Appendix E; sizes ours)
==========  =======================================  ===================================================

Every coder returns :class:`latentvideo.models.conv_coding.EncodedFrames` and decodes to [0, 1].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from torch import nn

from latentvideo.models.conv_coding import init_dcgan_weights
from latentvideo.models.dcgan64 import FRAME_SIZES as DCGAN_FRAME_SIZES
from latentvideo.models.dcgan64 import DCGANDecoder, DCGANEncoder
from latentvideo.models.mlp_codec import MLPFrameDecoder, MLPFrameEncoder
from latentvideo.models.vgg64 import FRAME_SIZE as VGG_FRAME_SIZE
from latentvideo.models.vgg64 import VGGDecoder, VGGEncoder

FLAVOURS = ("svg", "srvp")


@dataclass(frozen=True)
class CoderRequest:
    """What a model asks of its coder: the flavour (``svg`` / ``srvp``), frame channels and size, the code size
    of the encoder, the input size of the decoder, the first layer's width nf, skip connections, and (MLP
    coder) hidden units and layers."""

    flavour: str
    channels: int
    frame_size: int
    code_dim: int
    decoder_in: int
    nf: int = 64
    skip: bool = False
    hidden: int = 256
    layers: int = 3


@dataclass(frozen=True)
class FrameCoder:
    """build(request) -> (encoder, decoder); frame_sizes: the sizes it takes (None: any); flavours it exists in;
    skips: whether it has skip connections; initialise(module): the official weight init (None: PyTorch's)."""

    build: Callable[[CoderRequest], tuple[nn.Module, nn.Module]]
    frame_sizes: tuple[int, ...] | None
    flavours: tuple[str, ...]
    skips: bool
    initialise: Callable[[nn.Module], None] | None


def _dcgan(r: CoderRequest) -> tuple[nn.Module, nn.Module]:
    svg = r.flavour == "svg"
    return (DCGANEncoder(r.channels, r.code_dim, r.nf, bias=svg, first_batch_norm=svg, frame_size=r.frame_size),
            DCGANDecoder(r.channels, r.decoder_in, r.nf, bias=svg, skip=r.skip, frame_size=r.frame_size))


def _vgg(r: CoderRequest) -> tuple[nn.Module, nn.Module]:
    svg = r.flavour == "svg"
    return (VGGEncoder(r.channels, r.code_dim, r.nf, bias=svg, frame_size=r.frame_size),
            VGGDecoder(r.channels, r.decoder_in, r.nf, bias=svg, skip=r.skip, frame_size=r.frame_size))


def _mlp(r: CoderRequest) -> tuple[nn.Module, nn.Module]:
    return (MLPFrameEncoder(r.channels, r.frame_size, r.code_dim, r.hidden, r.layers),
            MLPFrameDecoder(r.channels, r.frame_size, r.decoder_in, r.hidden, r.layers))


FRAME_CODERS: dict[str, FrameCoder] = {
    "dcgan": FrameCoder(_dcgan, tuple(DCGAN_FRAME_SIZES), FLAVOURS, True, init_dcgan_weights),
    "vgg": FrameCoder(_vgg, (VGG_FRAME_SIZE,), FLAVOURS, True, init_dcgan_weights),
    "mlp": FrameCoder(_mlp, None, ("srvp",), False, None),
}


def coder_problems(model: str, name: str, flavour: str, frame_size: int, skip: bool) -> list[str]:
    """Why coder ``name`` cannot serve ``model`` as configured (empty: it can)."""
    if name not in FRAME_CODERS:
        return [f"{model}: unknown frame_coder {name!r}; registered: {sorted(FRAME_CODERS)}"]
    coder = FRAME_CODERS[name]
    problems = []
    if flavour not in coder.flavours:
        problems.append(f"{model}: the {name} frame coder does not exist in {flavour}'s code base")
    if coder.frame_sizes is not None and frame_size not in coder.frame_sizes:
        problems.append(f"{model}: the {name} frame coder takes frames of {list(coder.frame_sizes)} pixels, got "
                        f"frame_size={frame_size}")
    if skip and not coder.skips:
        problems.append(f"{model}: the {name} frame coder has no skip connections (skip must be false)")
    return problems


def build_coders(name: str, request: CoderRequest) -> tuple[nn.Module, nn.Module]:
    """The encoder and decoder of coder ``name``, with PyTorch's initialisation (see :func:`initialise`)."""
    return FRAME_CODERS[name].build(request)


def initialise(name: str, *modules: nn.Module) -> None:
    """Apply coder ``name``'s official weight initialisation to ``modules`` (its encoder and decoder). Models call
    it after building all their modules, as the official code does, so the random numbers follow its order."""
    init = FRAME_CODERS[name].initialise
    if init is not None:
        for module in modules:
            module.apply(init)
