"""Build single members for training and the flat averaging ensemble that is exported."""

from __future__ import annotations

from collections.abc import Sequence

import keras
from keras import layers

from model_pipeline.config import MemberSpec
from model_pipeline.models.registry import build_body


def member_prefix(index: int) -> str:
    return f"m{index}_"


def _input(size: int) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    inputs = keras.Input(shape=(size, size, 3), dtype="float32", name="image")
    # Normalisation lives inside the model: RGB 0..255 -> [-1, 1].
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0, name="normalise")(inputs)
    return inputs, x


def build_member(spec: MemberSpec, index: int, size: int) -> keras.Model:
    """A trainable single-member model taking RGB 0..255 float input."""
    keras.utils.set_random_seed(spec.seed)
    inputs, x = _input(size)
    outputs = build_body(x, spec, member_prefix(index))
    return keras.Model(inputs, outputs, name=f"member{index}")


def build_ensemble(members: Sequence[keras.Model], specs: Sequence[MemberSpec], size: int, *, tta_transpose: bool = False) -> keras.Model:
    """One flat model averaging the members' probabilities; weights copied layer by layer.

    With ``tta_transpose`` each member also runs on the transposed image (``Permute``) and the model
    averages all 2N outputs, still with built-in layers only.
    """
    inputs, x = _input(size)
    views = [x, layers.Permute((2, 1, 3), name="tta_transpose")(x)] if tta_transpose else [x]
    outputs = []
    for i, spec in enumerate(specs):
        if tta_transpose:
            # a nested member model (shared weights across the two views)
            sub_in = keras.Input(shape=(size, size, 3), name=f"m{i}_input")
            member = keras.Model(sub_in, build_body(sub_in, spec, member_prefix(i)), name=f"member{i}")
            outputs += [member(view) for view in views]
        else:
            outputs.append(build_body(x, spec, member_prefix(i)))
    probs = outputs[0] if len(outputs) == 1 else layers.Average(name="ensemble_mean")(outputs)
    ensemble = keras.Model(inputs, probs, name="lesion_ensemble")
    for i, trained in enumerate(members):
        prefix = member_prefix(i)
        target = ensemble.get_layer(f"member{i}") if tta_transpose else ensemble
        for layer in trained.layers:
            if layer.name.startswith(prefix) and layer.weights:
                target.get_layer(layer.name).set_weights(layer.get_weights())
    return ensemble
