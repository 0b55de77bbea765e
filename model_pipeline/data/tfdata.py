"""tf.data input: in-memory uint8 arrays -> shuffled, augmented float batches (RGB 0..255)."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from model_pipeline.config import AugmentConfig


def augment_batch(images: tf.Tensor, cfg: AugmentConfig, seed_gen: tf.random.Generator) -> tf.Tensor:
    """Random dihedral flips, rotation + zoom + shift (one affine warp), brightness/contrast/saturation."""
    x = tf.cast(images, tf.float32)
    n = tf.shape(x)[0]
    size = tf.cast(tf.shape(x)[1], tf.float32)
    if cfg.flips:
        coin = lambda: tf.reshape(seed_gen.uniform([n]) < 0.5, [-1, 1, 1, 1])  # noqa: E731
        x = tf.where(coin(), tf.transpose(x, [0, 2, 1, 3]), x)
        x = tf.where(coin(), tf.reverse(x, axis=[2]), x)
        x = tf.where(coin(), tf.reverse(x, axis=[1]), x)
    if cfg.rotation_degrees > 0 or cfg.zoom != (1.0, 1.0) or cfg.translate > 0 or cfg.aspect > 0:
        theta = seed_gen.uniform([n], -1.0, 1.0) * (cfg.rotation_degrees * math.pi / 180.0)
        scale = seed_gen.uniform([n], cfg.zoom[0], cfg.zoom[1])
        # Draws only when enabled, so configs without aspect jitter replay the same random stream as before.
        stretch = tf.exp(seed_gen.uniform([n], -cfg.aspect, cfg.aspect)) if cfg.aspect > 0 else tf.ones([n])
        sx, sy = scale * stretch, scale / stretch
        tx = seed_gen.uniform([n], -1.0, 1.0) * cfg.translate * size
        ty = seed_gen.uniform([n], -1.0, 1.0) * cfg.translate * size
        c = (size - 1.0) / 2.0
        # Output -> input map: rotation after an axis-aligned (possibly anisotropic) scale.
        a0 = tf.cos(theta) / sx
        a1 = -tf.sin(theta) / sy
        b0 = tf.sin(theta) / sx
        b1 = tf.cos(theta) / sy
        a2 = c - a0 * c - a1 * c + tx
        b2 = c - b0 * c - b1 * c + ty
        zeros = tf.zeros_like(a0)
        transforms = tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)
        x = tf.raw_ops.ImageProjectiveTransformV3(
            images=x,
            transforms=transforms,
            output_shape=tf.shape(x)[1:3],
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="REFLECT",
        )
    if cfg.brightness > 0:
        x = x + tf.reshape(seed_gen.uniform([n], -cfg.brightness, cfg.brightness) * 255.0, [-1, 1, 1, 1])
    if cfg.contrast > 0:
        f = tf.reshape(seed_gen.uniform([n], 1 - cfg.contrast, 1 + cfg.contrast), [-1, 1, 1, 1])
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        x = (x - mean) * f + mean
    if cfg.saturation > 0:
        f = tf.reshape(seed_gen.uniform([n], 1 - cfg.saturation, 1 + cfg.saturation), [-1, 1, 1, 1])
        grey = tf.reduce_mean(x, axis=3, keepdims=True)
        x = (x - grey) * f + grey
    return tf.clip_by_value(x, 0.0, 255.0)


def mixup_batch(
    images: tf.Tensor, labels: tf.Tensor, weights: tf.Tensor, alpha: float, seed_gen: tf.random.Generator
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Blend each example with a random partner of the batch (mixup), keeping the weighted loss exact.

    ``l ~ Beta(alpha, alpha)``, folded to ``max(l, 1 - l)`` so every image stays the larger part of its
    own blend. Cross-entropy is linear in its target, so the class-weighted blend of the two losses,
    ``l * w_i * CE(y_i) + (1 - l) * w_j * CE(y_j)``, is one example with weight ``a + b`` and target
    ``(a * y_i + b * y_j) / (a + b)`` where ``a = l * w_i`` and ``b = (1 - l) * w_j``.
    """
    n = tf.shape(images)[0]
    seeds = seed_gen.make_seeds(2)
    g1 = tf.random.stateless_gamma([n], seeds[:, 0], alpha)
    g2 = tf.random.stateless_gamma([n], seeds[:, 1], alpha)
    lam = g1 / tf.maximum(g1 + g2, 1e-30)  # both draws can underflow to 0: l = 0, folded to 1 (no blend)
    lam = tf.maximum(lam, 1.0 - lam)
    partner = tf.argsort(seed_gen.uniform([n]))
    a = lam * weights
    b = (1.0 - lam) * tf.gather(weights, partner)
    mixed = tf.reshape(lam, [-1, 1, 1, 1]) * images + tf.reshape(1.0 - lam, [-1, 1, 1, 1]) * tf.gather(images, partner)
    weight = a + b
    target = (a[:, None] * labels + b[:, None] * tf.gather(labels, partner)) / tf.maximum(weight, 1e-12)[:, None]
    return mixed, target, weight


def train_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    sample_weights: np.ndarray,
    *,
    n_classes: int,
    batch_size: int,
    augment: AugmentConfig,
    seed: int,
    class_probs: np.ndarray | None = None,
) -> tf.data.Dataset:
    """Shuffled, augmented batches of (float image 0..255, one-hot label, sample weight).

    With ``class_probs`` (balanced sampling), each example is drawn from class c with probability
    ``class_probs[c]`` (every class reshuffled and repeated on its own), ``len(images) // batch_size``
    batches an epoch, and ``sample_weights`` is ignored: every weight is 1.
    """
    seed_gen = tf.random.Generator.from_seed(seed)
    if class_probs is None:
        ds = tf.data.Dataset.from_tensor_slices((images, tf.one_hot(labels, n_classes), sample_weights.astype(np.float32)))
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    else:
        probs = np.asarray(class_probs, dtype=np.float64)
        parts, weights = [], []
        for c in range(n_classes):
            members = np.flatnonzero(labels == c)
            if len(members) == 0 or probs[c] <= 0:
                continue
            part = tf.data.Dataset.from_tensor_slices(
                (images[members], tf.one_hot(np.full(len(members), c), n_classes), np.ones(len(members), np.float32))
            )
            parts.append(part.shuffle(len(members), seed=seed + c, reshuffle_each_iteration=True).repeat())
            weights.append(probs[c])
        if not parts:
            raise ValueError("balanced sampling: no class has both examples and a positive probability")
        total = float(sum(weights))
        ds = tf.data.Dataset.sample_from_datasets(parts, weights=[w / total for w in weights], seed=seed, rerandomize_each_iteration=True)
        ds = ds.take((len(images) // batch_size) * batch_size)
    ds = ds.batch(batch_size, drop_remainder=True)
    ds = ds.map(lambda x, y, w: (augment_batch(x, augment, seed_gen), y, w), num_parallel_calls=1)
    if augment.mixup > 0:
        ds = ds.map(lambda x, y, w: mixup_batch(x, y, w, augment.mixup, seed_gen), num_parallel_calls=1)
    return ds.prefetch(2)


def class_sampling_probs(labels: np.ndarray, n_classes: int, per_class_weight: list[float] | np.ndarray) -> np.ndarray:
    """Balanced sampling's class probabilities: each class's share of the total loss weight
    (count x per-class weight), so sampling reproduces the weighted objective with unit weights."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    mass = counts * np.asarray(per_class_weight, dtype=np.float64)
    return mass / mass.sum()


def class_sample_weights(
    labels: np.ndarray, n_classes: int, power: float, boost: np.ndarray | None = None
) -> tuple[np.ndarray, list[float]]:
    """Per-sample weights proportional to class_count ** -power (times ``boost`` per class), mean 1."""
    counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
    per_class = np.where(counts > 0, np.maximum(counts, 1.0) ** -power, 0.0)
    if boost is not None:
        per_class = per_class * np.asarray(boost, dtype=np.float64)
    weights = per_class[labels]
    scale = 1.0 / weights.mean()
    return (weights * scale).astype(np.float32), [float(v * scale) for v in per_class]
