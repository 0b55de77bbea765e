"""Build single members for training and the flat averaging ensemble that is exported."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
from keras import layers

from model_pipeline.config import MemberSpec
from model_pipeline.models.registry import build_body
from model_pipeline.progress import log


def member_prefix(index: int) -> str:
    return f"m{index}_"


def normalisation_layer() -> layers.DepthwiseConv2D:
    """RGB 0..255 -> [-1, 1] as a frozen 1x1 depthwise convolution (x / 127.5 - 1, exact in float).

    Not a ``Rescaling``: the converter turns that into a MUL and an ADD whose intermediate int8 tensor
    keeps only ~170 of the 256 input levels (measured: 0.6 points of int8 top-1 agreement with the
    ``.h5``); one DEPTHWISE_CONV_2D maps the 256 uint8 levels onto 256 int8 levels.
    """
    return layers.DepthwiseConv2D(
        1,
        use_bias=True,
        depthwise_initializer=keras.initializers.Constant(1.0 / 127.5),
        bias_initializer=keras.initializers.Constant(-1.0),
        trainable=False,
        name="normalise",
    )


def _input(size: int) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    inputs = keras.Input(shape=(size, size, 3), dtype="float32", name="image")
    # Normalisation lives inside the model: RGB 0..255 -> [-1, 1].
    return inputs, normalisation_layer()(inputs)


def with_conv_normalisation(model: keras.Model) -> keras.Model:
    """``model`` (sharing its other layers) with a ``Rescaling`` "normalise" (bundles up to r18) replaced
    by ``normalisation_layer``; the float function does not change. Other models are returned as they are."""
    layer = next((lay for lay in model.layers if lay.name == "normalise"), None)
    if not isinstance(layer, layers.Rescaling):
        return model
    if (float(layer.scale), float(layer.offset)) != (1.0 / 127.5, -1.0):
        raise ValueError(f"unexpected normalisation scale {layer.scale} offset {layer.offset}")
    return keras.models.clone_model(model, clone_function=lambda lay: normalisation_layer() if lay is layer else lay)


def build_member(spec: MemberSpec, index: int, size: int, *, pretrained: bool = True) -> keras.Model:
    """A trainable single-member model taking RGB 0..255 float input.

    ``pretrained`` loads a member's ImageNet weights (``weights_path``); off where trained weights are
    copied in next anyway (assembling, benchmarks), so the weights file is needed only for training.
    """
    keras.utils.set_random_seed(spec.seed)
    inputs, x = _input(size)
    outputs = build_body(x, spec, member_prefix(index))
    model = keras.Model(inputs, outputs, name=f"member{index}")
    if pretrained and spec.arch == "efficientnet_lite0" and spec.weights_path:
        # ImageNet initialisation at train time only; an assembled ensemble copies the trained weights.
        from model_pipeline.models.efficientnet_lite import load_pretrained

        load_pretrained(model, member_prefix(index), spec.weights_path)
    return model


def _flip(x: keras.KerasTensor, axis: int, name: str) -> keras.KerasTensor:
    """Mirror ``x`` (N, H, W, C) along H (axis 1) or W (axis 2) with built-in layers only.

    The mirrored axis is moved last and multiplied by a fixed anti-identity matrix (a bias-free,
    frozen ``Dense``), then moved back. Keras has no inference-time flip layer, and a ``Lambda`` would
    not load on the server or convert cleanly; this is exact in float and in int8 (weights 0 and 1).
    """
    order = (1, 3, 2) if axis == 2 else (3, 2, 1)
    n = int(x.shape[axis])
    mirror = layers.Dense(n, use_bias=False, trainable=False, name=name)
    y = mirror(layers.Permute(order, name=f"{name}_in")(x))
    mirror.set_weights([np.eye(n, dtype=np.float32)[::-1].copy()])
    return layers.Permute(order, name=f"{name}_out")(y)


def tta_views(x: keras.KerasTensor, *, transpose: bool = False, flips: bool = False, suffix: str = "") -> list[keras.KerasTensor]:
    """The test-time views averaged by the ensemble: identity, + mirrors (H, W, both), x transposed.

    ``suffix`` keeps layer names unique when views are made at more than one resolution.
    """
    views = [x]
    if flips:
        h = _flip(x, 2, f"tta_hflip{suffix}")
        views += [h, _flip(x, 1, f"tta_vflip{suffix}"), _flip(h, 1, f"tta_hvflip{suffix}")]
    if transpose:
        views += [layers.Permute((2, 1, 3), name=f"tta_transpose{suffix}{'_' + str(i) if i else ''}")(v) for i, v in enumerate(views)]
    return views


def member_size(spec: MemberSpec, size: int) -> int:
    """The input side a member was trained at (the ensemble's own size unless the spec names another)."""
    return spec.image_size or size


def build_ensemble(
    members: Sequence[keras.Model],
    specs: Sequence[MemberSpec],
    size: int,
    *,
    tta_transpose: bool = False,
    tta_flips: bool = False,
    dead_channel_var: float = 0.0,
) -> keras.Model:
    """One flat model averaging the members' probabilities; weights copied layer by layer.

    With test-time augmentation (``tta_transpose``: the transposed image; ``tta_flips``: the three
    mirror images) every member runs on every view as a nested sub-model with shared weights, and the
    model averages all outputs, still with built-in layers only.

    A member whose spec names another ``image_size`` (one trained at another resolution, added by
    ``assemble --add-members-from``) sees the input resized to that size inside the model (a built-in
    bilinear ``Resizing``, RESIZE_BILINEAR in TFLite), so the exported model keeps one input size.
    """
    inputs, x = _input(size)
    sizes = [member_size(spec, size) for spec in specs]
    views_at: dict[int, list[keras.KerasTensor]] = {}
    for s in dict.fromkeys(sizes):  # views only at the sizes some member uses; the ensemble's own keeps its layer names
        scaled = x if s == size else layers.Resizing(s, s, interpolation="bilinear", name=f"resize_{s}")(x)
        views_at[s] = tta_views(scaled, transpose=tta_transpose, flips=tta_flips, suffix="" if s == size else f"_{s}")
    tta = tta_flips or tta_transpose or len(views_at) > 1
    outputs = []
    for i, spec in enumerate(specs):
        if tta:
            # a nested member model (shared weights across the views)
            sub_in = keras.Input(shape=(sizes[i], sizes[i], 3), name=f"m{i}_input")
            member = keras.Model(sub_in, build_body(sub_in, spec, member_prefix(i)), name=f"member{i}")
            outputs += [member(view) for view in views_at[sizes[i]]]
        else:
            outputs.append(build_body(x, spec, member_prefix(i)))
    probs = outputs[0] if len(outputs) == 1 else layers.Average(name="ensemble_mean")(outputs)
    ensemble = keras.Model(inputs, probs, name="lesion_ensemble")
    for i, trained in enumerate(members):
        prefix = member_prefix(i)
        target = ensemble.get_layer(f"member{i}") if tta else ensemble
        for layer in trained.layers:
            if layer.name.startswith(prefix) and layer.weights:
                target.get_layer(layer.name).set_weights(layer.get_weights())
    if dead_channel_var > 0:
        targets = [ensemble.get_layer(f"member{i}") for i in range(len(members))] if tta else [ensemble]
        replaced = sum(zero_dead_channels(target, dead_channel_var) for target in targets)
        log(f"{replaced} dead batch-norm channel(s) replaced by their constant")
    return ensemble


def zero_dead_channels(model: keras.Model, max_var: float) -> int:
    """Replace every batch-norm channel with running variance < ``max_var`` by the constant it outputs.

    Such a channel's input (the conv before it) is constant over the training images, so the norm
    outputs ``beta`` there; zeroing the conv's weights for it and setting the norm to mean 0, variance 1,
    gamma 0 keeps that output exactly while the folded int8 weights stop carrying gamma / sqrt(var) of
    up to ~50x. Layers are paired by this package's names (``X_bn`` follows ``X_conv``, ``X_dw_bn``
    follows ``X_dw``). Returns the number of channels replaced.
    """
    by_name = {layer.name: layer for layer in model.layers}
    replaced = 0
    for name, norm in by_name.items():
        if not isinstance(norm, layers.BatchNormalization) or not name.endswith("_bn"):
            continue
        conv = by_name.get(f"{name[:-3]}_conv") or by_name.get(name[:-3])
        if not isinstance(conv, (layers.Conv2D, layers.DepthwiseConv2D)):
            continue
        gamma, beta, mean, var = norm.get_weights()
        dead = var < max_var
        if not dead.any():
            continue
        kernel = conv.get_weights()
        if isinstance(conv, layers.DepthwiseConv2D):
            kernel[0][:, :, dead, :] = 0.0
        else:
            kernel[0][..., dead] = 0.0
        conv.set_weights(kernel)
        gamma[dead], mean[dead], var[dead] = 0.0, 0.0, 1.0
        norm.set_weights([gamma, beta, mean, var])
        replaced += int(dead.sum())
    return replaced
