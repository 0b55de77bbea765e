"""Architecture registry: quantisation-friendly CNN bodies built from Keras built-in layers only.

Every body maps a normalised float tensor ([-1, 1]) to class probabilities. Layer names carry a
per-member prefix so several members can live flat in one ensemble graph (and one .h5 file).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import layers

from lesion_contract.labels import LABELS
from model_pipeline.config import MemberSpec
from model_pipeline.errors import ConfigError

BodyFn = Callable[[keras.KerasTensor, MemberSpec, str, int], keras.KerasTensor]
_REGISTRY: dict[str, BodyFn] = {}

# (expansion, channels, repeats, first stride): a MobileNetV2-style schedule sized for 96-128 px
DSNET_BLOCKS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (4, 24, 2, 2),
    (4, 40, 2, 2),
    (4, 80, 3, 2),
    (4, 112, 2, 1),
    (4, 160, 1, 2),
)


def register(name: str) -> Callable[[BodyFn], BodyFn]:
    def deco(fn: BodyFn) -> BodyFn:
        _REGISTRY[name] = fn
        return fn

    return deco


def architectures() -> list[str]:
    return sorted(_REGISTRY)


def _divisible(value: float, divisor: int = 8) -> int:
    out = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if out < 0.9 * value:
        out += divisor
    return out


def _conv_bn(x, filters: int, kernel: int, stride: int, name: str, act: bool = True):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    if act:
        x = layers.ReLU(max_value=6.0, name=f"{name}_relu")(x)
    return x


def _inverted_residual(x, expansion: int, filters: int, stride: int, name: str):
    in_ch = x.shape[-1]
    y = x
    if expansion != 1:
        y = _conv_bn(y, in_ch * expansion, 1, 1, f"{name}_expand")
    y = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(y)
    y = layers.BatchNormalization(momentum=0.9, name=f"{name}_dw_bn")(y)
    y = layers.ReLU(max_value=6.0, name=f"{name}_dw_relu")(y)
    y = _conv_bn(y, filters, 1, 1, f"{name}_project", act=False)
    if stride == 1 and in_ch == filters:
        y = layers.Add(name=f"{name}_add")([x, y])
    return y


def _head(x, spec: MemberSpec, prefix: str, n_classes: int):
    x = layers.GlobalAveragePooling2D(name=f"{prefix}gap")(x)
    if spec.dropout > 0:
        x = layers.Dropout(spec.dropout, seed=spec.seed, name=f"{prefix}dropout")(x)
    return layers.Dense(n_classes, activation="softmax", name=f"{prefix}probs")(x)


@register("dsnet")
def dsnet(x, spec: MemberSpec, prefix: str, n_classes: int):
    """Inverted-residual depthwise-separable CNN with batch norm, ReLU6 and dropout."""
    w = spec.width
    x = _conv_bn(x, _divisible(32 * w), 3, 2, f"{prefix}stem")
    block = 0
    for expansion, channels, repeats, stride in DSNET_BLOCKS:
        for r in range(repeats):
            x = _inverted_residual(x, expansion, _divisible(channels * w), stride if r == 0 else 1, f"{prefix}b{block}")
            block += 1
    x = _conv_bn(x, _divisible(384 * max(w, 1.0)), 1, 1, f"{prefix}top")
    return _head(x, spec, prefix, n_classes)


@register("dsnet_plain")
def dsnet_plain(x, spec: MemberSpec, prefix: str, n_classes: int):
    """Plain depthwise-separable stack (MobileNetV1 style): cheaper, no residuals."""
    w = spec.width
    x = _conv_bn(x, _divisible(32 * w), 3, 2, f"{prefix}stem")
    plan = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 2))
    for i, (channels, stride) in enumerate(plan):
        name = f"{prefix}ds{i}"
        x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(x)
        x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
        x = layers.ReLU(max_value=6.0, name=f"{name}_dw_relu")(x)
        x = _conv_bn(x, _divisible(channels * w), 1, 1, f"{name}_pw")
    return _head(x, spec, prefix, n_classes)


@register("mobilenetv2")
def mobilenetv2(x, spec: MemberSpec, prefix: str, n_classes: int):
    """keras.applications MobileNetV2 backbone; ImageNet weights only from a local file (no download)."""
    size = int(x.shape[1])
    backbone = keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha=spec.width, include_top=False, weights=None, pooling=None)
    if spec.weights_path:
        try:
            backbone.load_weights(spec.weights_path, skip_mismatch=False)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load backbone weights {spec.weights_path}: {exc}") from exc
    backbone.name = f"{prefix}mobilenetv2"
    return _head(backbone(x), spec, prefix, n_classes)


# EfficientNet-Lite0 (Tan & Le 2019, the "lite" variant for mobile accelerators: ReLU6, no
# squeeze-excitation, fixed stem and head): (expansion, kernel, stride, repeats, channels) per stage.
EFFICIENTNET_LITE0_BLOCKS: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 1, 16),
    (6, 3, 2, 2, 24),
    (6, 5, 2, 2, 40),
    (6, 3, 2, 3, 80),
    (6, 5, 1, 3, 112),
    (6, 5, 2, 4, 192),
    (6, 3, 1, 1, 320),
)


@register("efficientnet_lite0")
def efficientnet_lite0(x, spec: MemberSpec, prefix: str, n_classes: int):
    """EfficientNet-Lite0 body with a new 7-class head; layer names follow ``efficientnet_lite.state_dict_map``.

    Built from Conv2D / DepthwiseConv2D / BatchNormalization / ReLU6 / Add only, flat under the member
    prefix, so it quantises to full int8 and joins the averaging ensemble like ``dsnet``. ``width``
    scales the block channels (stem 32 and head 1280 stay fixed, as in the Lite family); ImageNet
    weights (``weights_path``, loaded at train time by ``efficientnet_lite.load_pretrained``) exist
    for width 1.0 only.
    """
    w = spec.width
    x = _conv_bn(x, 32, 3, 2, f"{prefix}stem")
    block = 0
    for expansion, kernel, stride, repeats, channels in EFFICIENTNET_LITE0_BLOCKS:
        for r in range(repeats):
            name, in_ch, out_ch, s = f"{prefix}e{block}", x.shape[-1], _divisible(channels * w), stride if r == 0 else 1
            y = x
            if expansion != 1:
                y = _conv_bn(y, in_ch * expansion, 1, 1, f"{name}_expand")
            y = layers.DepthwiseConv2D(kernel, strides=s, padding="same", use_bias=False, name=f"{name}_dw")(y)
            y = layers.BatchNormalization(momentum=0.9, name=f"{name}_dw_bn")(y)
            y = layers.ReLU(max_value=6.0, name=f"{name}_dw_relu")(y)
            y = _conv_bn(y, out_ch, 1, 1, f"{name}_project", act=False)
            x = layers.Add(name=f"{name}_add")([x, y]) if s == 1 and in_ch == out_ch else y
            block += 1
    x = _conv_bn(x, 1280, 1, 1, f"{prefix}top")
    return _head(x, spec, prefix, n_classes)


def build_body(x, spec: MemberSpec, prefix: str, n_classes: int = len(LABELS)):
    """Apply the registered architecture ``spec.arch`` to ``x``."""
    fn = _REGISTRY.get(spec.arch)
    if fn is None:
        raise ConfigError(f"unknown architecture {spec.arch!r}; known: {', '.join(architectures())}")
    return fn(x, spec, prefix, n_classes)
