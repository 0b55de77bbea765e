"""Quantisation-aware fine-tuning: teach a trained ensemble the int8 arithmetic it will run with.

Post-training int8 conversion rounds every weight (per output channel, symmetric, 8 bit) and every
activation tensor (per tensor, asymmetric, 8 bit, range from calibration). On the ImageNet-initialised
EfficientNet-Lite0 ensemble that noise moves the phone's top-1 away from the ``.h5`` on ~4.5% of the
validation images (weights alone ~2.4%, activations alone ~3.5%; the members have many near ties).

``quantization_model`` wraps an ensemble *sharing its layers*: each Conv2D / DepthwiseConv2D / Dense
computes with its kernel fake-quantised exactly as the converter will quantise it (per channel,
narrow range, scale max|w| / 127; with batch norm frozen this equals quantising the folded kernel,
since folding scales each output channel by a constant), and each tensor the int8 model stores
(normalised input, conv outputs after their fused ReLU6, residual sums, pooled features, logits,
softmax and ensemble mean) passes a fake-quant node whose range is calibrated like the converter's
(min / max over calibration images). ``finetune`` trains through those nodes with the straight-through
estimator at a low learning rate; the shared layers are then the fine-tuned float model.

``snap_weights`` stores each kernel on its int8 grid (the integers QAT trained, as float), so the
converter's weight rounding is exact and the ``.h5`` (served by the server) and the phone's int8 model
differ only by activation rounding.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from model_pipeline.progress import log

WEIGHTED = (layers.Conv2D, layers.DepthwiseConv2D, layers.Dense)


def _channel_axis(layer: keras.layers.Layer) -> int:
    # Conv2D (kh, kw, in, out) and Dense (in, out): the last axis; DepthwiseConv2D (kh, kw, in, 1): in
    return 2 if isinstance(layer, layers.DepthwiseConv2D) else -1


def fake_quant_kernel(kernel: tf.Tensor, channel_axis: int) -> tf.Tensor:
    """Per-channel symmetric int8 (narrow range [-127, 127]) fake quantisation, straight-through gradient."""
    if channel_axis == 2:  # depthwise (kh, kw, C, 1): quantise along C
        shape = tf.shape(kernel)
        flat = tf.reshape(kernel, tf.concat([shape[:2], [-1]], 0))
        return tf.reshape(fake_quant_kernel(flat, -1), shape)
    axes = list(range(kernel.shape.rank - 1))
    bound = tf.stop_gradient(tf.maximum(tf.reduce_max(tf.abs(kernel), axis=axes), 1e-8))
    return tf.quantization.fake_quant_with_min_max_vars_per_channel(kernel, -bound, bound, num_bits=8, narrow_range=True)


def snap_kernel(kernel: np.ndarray, channel_axis: int) -> np.ndarray:
    """``kernel`` rounded to its per-channel int8 grid (numpy twin of ``fake_quant_kernel``)."""
    axis = kernel.ndim + channel_axis if channel_axis < 0 else channel_axis
    reduce = tuple(i for i in range(kernel.ndim) if i != axis)
    bound = np.abs(kernel).max(axis=reduce, keepdims=True)
    scale = np.where(bound > 0, bound / 127.0, 1.0)
    return (np.clip(np.round(kernel / scale), -127, 127) * scale).astype(kernel.dtype)


class ActivationQuant(layers.Layer):
    """Fake-quantises a tensor to 8 bit over [min, max]; ``mode``: "quant", "observe" (widen the range
    to the tensor's min / max, pass through) or "off". A fixed range (softmax) is never observed."""

    def __init__(self, fixed: tuple[float, float] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.fixed = fixed
        self.mode = "quant"

    def build(self, input_shape):
        lo, hi = self.fixed or (np.inf, -np.inf)
        self.lo = self.add_weight(name="min", shape=(), initializer=keras.initializers.Constant(lo), trainable=False)
        self.hi = self.add_weight(name="max", shape=(), initializer=keras.initializers.Constant(hi), trainable=False)

    def call(self, x):
        if self.mode == "off":
            return x
        if self.mode == "observe":
            if self.fixed is None:
                self.lo.assign(tf.minimum(self.lo, tf.minimum(tf.reduce_min(x), 0.0)))
                self.hi.assign(tf.maximum(self.hi, tf.maximum(tf.reduce_max(x), 0.0)))
            return x
        return tf.quantization.fake_quant_with_min_max_vars(x, self.lo, self.hi, num_bits=8, narrow_range=False)


class WeightQuant(layers.Layer):
    """Runs a Conv2D / DepthwiseConv2D / Dense (shared, not copied) with its kernel fake-quantised.

    A Dense with a softmax also fake-quantises its logits (the int8 FULLY_CONNECTED output) and its
    probabilities (fixed scale 1/256, as TFLite's int8 SOFTMAX)."""

    def __init__(self, inner: keras.layers.Layer, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
        self.softmax = isinstance(inner, layers.Dense) and inner.activation is keras.activations.softmax
        if self.softmax:
            self.logits_q = ActivationQuant(name=f"{inner.name}_logits_aq")
            self.probs_q = ActivationQuant(fixed=(0.0, 255.0 / 256.0), name=f"{inner.name}_probs_aq")

    def call(self, x):
        inner = self.inner
        kernel = fake_quant_kernel(inner.kernel, _channel_axis(inner))
        if isinstance(inner, layers.DepthwiseConv2D):
            y = tf.nn.depthwise_conv2d(
                x, kernel, strides=(1, *inner.strides, 1), padding=inner.padding.upper(), dilations=inner.dilation_rate
            )
        elif isinstance(inner, layers.Conv2D):
            y = tf.nn.conv2d(x, kernel, strides=inner.strides, padding=inner.padding.upper(), dilations=inner.dilation_rate)
        else:
            y = tf.matmul(x, kernel)
        if inner.use_bias:
            y = y + inner.bias
        if self.softmax:
            return self.probs_q(tf.nn.softmax(self.logits_q(y)))
        return inner.activation(y)


def _consumers(model: keras.Model) -> dict[str, list[keras.layers.Layer]]:
    out: dict[str, list[keras.layers.Layer]] = {}
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                out.setdefault(tensor._keras_history.operation.name, []).append(layer)
    return out


def check_flat(model: keras.Model) -> None:
    """ValueError unless ``model`` is a flat ensemble (test-time views nest the members as sub-models)."""
    if any(isinstance(layer, keras.Model) for layer in model.layers):
        raise ValueError("quantisation-aware fine-tuning needs a flat ensemble (built without test-time augmentation)")


def quantization_model(model: keras.Model) -> keras.Model:
    """A fake-quant twin of the flat ensemble ``model`` that shares (and so trains) its layers.

    Batch norm is frozen (inference statistics), as it is folded into the convolutions in int8.
    """
    check_flat(model)
    consumers = _consumers(model)
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False

    def quantised_output(layer: keras.layers.Layer) -> bool:
        # tensors the int8 model stores: a conv + batch norm + ReLU6 is one fused op, quantised after the ReLU
        after = consumers.get(layer.name, [])
        if isinstance(layer, layers.BatchNormalization):
            return not any(isinstance(c, layers.ReLU) for c in after)
        if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D)):  # (a Dense quantises its own logits)
            return not any(isinstance(c, (layers.BatchNormalization, layers.ReLU)) for c in after)
        return isinstance(layer, (layers.Rescaling, layers.ReLU, layers.Add, layers.GlobalAveragePooling2D, layers.Average))

    def call_function(layer, *args, **kwargs):
        out = WeightQuant(layer, name=f"{layer.name}_wq")(*args) if isinstance(layer, WEIGHTED) else layer(*args, **kwargs)
        if quantised_output(layer):
            fixed = (0.0, 255.0 / 256.0) if isinstance(layer, layers.Average) else None
            out = ActivationQuant(fixed=fixed, name=f"{layer.name}_aq")(out)
        return out

    return keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call_function)


def _act_quants(qmodel: keras.Model) -> list[ActivationQuant]:
    found = []
    for layer in qmodel.layers:
        if isinstance(layer, ActivationQuant):
            found.append(layer)
        elif isinstance(layer, WeightQuant) and layer.softmax:
            found += [layer.logits_q, layer.probs_q]
    return found


def calibrate(qmodel: keras.Model, images: np.ndarray, batch_size: int = 32) -> None:
    """Reset and observe every activation range over ``images`` (uint8 NHWC), as the converter does."""
    quants = _act_quants(qmodel)
    for q in quants:
        if q.fixed is None:
            q.lo.assign(np.inf)
            q.hi.assign(-np.inf)
        q.mode = "observe"
    try:
        for start in range(0, len(images), batch_size):
            qmodel(images[start : start + batch_size].astype(np.float32), training=False)
    finally:
        for q in quants:
            q.mode = "quant"


def snap_weights(model: keras.Model) -> int:
    """Round every Conv2D / DepthwiseConv2D / Dense kernel of ``model`` to its int8 grid; returns the count."""
    n = 0
    for layer in model.layers:
        if isinstance(layer, WEIGHTED):
            layer.kernel.assign(snap_kernel(np.asarray(layer.kernel), _channel_axis(layer)))
            n += 1
    return n


@dataclass
class QatResult:
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def finetune(
    model: keras.Model,
    dataset: tf.data.Dataset,
    steps_per_epoch: int,
    *,
    calibration: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    epochs: int,
    learning_rate: float,
    weight_decay: float,
    label_smoothing: float,
    distill: float = 1.0,
) -> QatResult:
    """Fine-tune ``model`` (a flat ensemble) in place through its fake-quant twin.

    The target is ``distill`` x the probabilities of a frozen copy of the model as it came in plus
    ``1 - distill`` x the smoothed label: with 1.0 the ensemble keeps the function it was chosen for and
    only learns to compute it in int8 arithmetic. ``dataset`` yields (image 0..255, one-hot, sample
    weight) batches and repeats. Cosine LR; activation ranges re-calibrated on ``calibration`` each epoch.
    The rounding of the final probabilities (a fixed 1/256 grid nothing can learn around) is left out of
    the training loss, which would otherwise see zero gradients for every class rounded to 0.
    """
    from model_pipeline.metrics import balanced_accuracy
    from model_pipeline.train import predict_probs

    teacher = keras.models.clone_model(model)
    teacher.set_weights(model.get_weights())
    norms = [layer for layer in model.layers if isinstance(layer, layers.BatchNormalization)]
    trainable = [layer.trainable for layer in norms]
    qmodel = quantization_model(model)  # (freezes the batch norms; restored below)
    calibrate(qmodel, calibration)
    output_quants = [q for q in _act_quants(qmodel) if q.fixed is not None]
    n_classes = int(model.output.shape[-1])
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=max(1, epochs * steps_per_epoch), alpha=0.02)
    optimizer = keras.optimizers.AdamW(learning_rate=schedule, weight_decay=weight_decay)
    variables = qmodel.trainable_variables

    @tf.function
    def train_step(x, y, w):
        soft = teacher(x, training=False)
        target = distill * soft + (1.0 - distill) * (y * (1.0 - label_smoothing) + label_smoothing / n_classes)
        with tf.GradientTape() as tape:
            p = qmodel(x, training=True)
            ce = -tf.reduce_sum(target * tf.math.log(tf.clip_by_value(p, 1e-7, 1.0)), axis=-1)
            loss = tf.reduce_sum(w * ce) / tf.maximum(tf.reduce_sum(w), 1e-8)
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return loss

    result, start = QatResult(), time.monotonic()

    def score(epoch: int, loss: float | None) -> None:
        # small batches: the eager fake-quant graph holds every intermediate tensor of the batch
        f, q = predict_probs(model, val_x, batch_size=32), predict_probs(qmodel, val_x, batch_size=32)
        entry = {
            "epoch": epoch,
            "loss": None if loss is None else round(loss, 5),  # (none before the first epoch: JSON has no NaN)
            "val_balanced_accuracy_float": round(balanced_accuracy(val_y, f.argmax(1)), 5),
            "val_balanced_accuracy_fake_quant": round(balanced_accuracy(val_y, q.argmax(1)), 5),
            "fake_quant_agreement": round(float((f.argmax(1) == q.argmax(1)).mean()), 5),
            "minutes": round((time.monotonic() - start) / 60, 2),
        }
        result.history.append(entry)
        log(
            f"qat epoch {epoch}: loss {'-' if loss is None else f'{loss:.4f}'} val_bacc float {entry['val_balanced_accuracy_float']:.4f} "
            f"fake-quant {entry['val_balanced_accuracy_fake_quant']:.4f} agreement {entry['fake_quant_agreement']:.4f} "
            f"({entry['minutes']:.1f} min)"
        )

    score(0, None)
    batches = iter(dataset)
    for epoch in range(1, epochs + 1):
        for q in output_quants:
            q.mode = "off"
        total = 0.0
        for step in range(1, steps_per_epoch + 1):
            x, y, w = next(batches)
            total += float(train_step(x, y, w))
            if step % 50 == 0:
                log(f"  qat epoch {epoch} step {step}/{steps_per_epoch}: loss {total / step:.4f}")
        for q in output_quants:
            q.mode = "quant"
        calibrate(qmodel, calibration)
        score(epoch, total / steps_per_epoch)
    for layer, flag in zip(norms, trainable, strict=True):
        layer.trainable = flag
    result.seconds = time.monotonic() - start
    return result
