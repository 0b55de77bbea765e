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


def build_ensemble(members: Sequence[keras.Model], specs: Sequence[MemberSpec], size: int) -> keras.Model:
    """One flat model averaging the members' probabilities; weights copied layer by layer."""
    inputs, x = _input(size)
    outputs = [build_body(x, spec, member_prefix(i)) for i, spec in enumerate(specs)]
    probs = outputs[0] if len(outputs) == 1 else layers.Average(name="ensemble_mean")(outputs)
    ensemble = keras.Model(inputs, probs, name="lesion_ensemble")
    for i, member in enumerate(members):
        prefix = member_prefix(i)
        for layer in member.layers:
            if layer.name.startswith(prefix) and layer.weights:
                ensemble.get_layer(layer.name).set_weights(layer.get_weights())
    return ensemble
