"""Quantisation-aware fine-tuning (the ``qat`` step) and the int8-friendly input normalisation."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from model_pipeline.config import MemberSpec
from model_pipeline.rundir import RunDir
from tests.pipeline.conftest import run_cli

SIZE = 32


def _images(n: int = 8, size: int = SIZE) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, size=(n, size, size, 3)).astype(np.float32)


def _op_names(flat: bytes) -> list[str]:
    from ai_edge_litert.interpreter import Interpreter

    return [op["op_name"] for op in Interpreter(model_content=flat)._get_ops_details()]


def test_normalisation_is_one_frozen_depthwise_conv_and_replaces_an_old_rescaling():
    import keras
    from keras import layers

    from model_pipeline.export.quantization import Quantization
    from model_pipeline.export.tflite import convert
    from model_pipeline.models.ensemble import build_member, with_conv_normalisation
    from model_pipeline.models.registry import build_body

    x = _images()
    member = build_member(MemberSpec(width=0.35, seed=1, dropout=0.0), 0, SIZE)
    norm = member.get_layer("normalise")
    assert isinstance(norm, layers.DepthwiseConv2D) and not norm.trainable
    np.testing.assert_allclose(np.asarray(keras.Model(member.input, norm.output)(x)), x / 127.5 - 1.0, atol=1e-6)
    # the int8 model starts with one DEPTHWISE_CONV_2D, not a MUL + ADD pair that drops input levels
    ops = _op_names(convert(member, Quantization.for_int8(_images(16).astype(np.uint8))))
    assert ops[1] == "DEPTHWISE_CONV_2D" and "MUL" not in ops[:3], ops[:4]

    # a model saved before (Rescaling) gets the same layer, computing the same function
    inputs = keras.Input((SIZE, SIZE, 3), name="image")
    old = keras.Model(
        inputs, build_body(layers.Rescaling(1 / 127.5, offset=-1.0, name="normalise")(inputs), MemberSpec(width=0.35), "m0_", 7)
    )
    new = with_conv_normalisation(old)
    assert isinstance(new.get_layer("normalise"), layers.DepthwiseConv2D)
    np.testing.assert_allclose(np.asarray(new(x, training=False)), np.asarray(old(x, training=False)), atol=1e-6)
    assert with_conv_normalisation(new) is new


def test_kernel_snapping_is_the_converters_per_channel_int8_grid():
    import tensorflow as tf

    from model_pipeline.qat import fake_quant_kernel, snap_kernel

    rng = np.random.default_rng(0)
    for kernel, axis in ((rng.normal(size=(3, 3, 8, 5)), -1), (rng.normal(size=(5, 5, 6, 1)), 2), (rng.normal(size=(12, 7)), -1)):
        kernel = kernel.astype(np.float32)
        kernel[..., 0] = 0.0 if axis == -1 else kernel[..., 0]  # an all-zero channel stays zero
        snapped = snap_kernel(kernel, axis)
        np.testing.assert_allclose(np.asarray(fake_quant_kernel(tf.constant(kernel), axis)), snapped, atol=1e-6)
        np.testing.assert_array_equal(snap_kernel(snapped, axis), snapped)  # already on the grid
        reduce = tuple(i for i in range(kernel.ndim) if i != (kernel.ndim + axis if axis < 0 else axis))
        bound = np.abs(kernel).max(axis=reduce, keepdims=True)
        steps = np.divide(snapped, bound / 127.0, out=np.zeros_like(snapped), where=bound > 0)
        np.testing.assert_allclose(steps, np.round(steps), atol=1e-4)  # integers in [-127, 127] times max|w| / 127
        assert np.abs(steps).max() <= 127 + 1e-4
        np.testing.assert_allclose(np.abs(snapped).max(axis=reduce), bound.reshape(-1), rtol=1e-6)  # max kept


def test_fake_quant_twin_shares_the_layers_and_tracks_int8(demo):
    import keras
    from keras import layers

    from model_pipeline import qat
    from model_pipeline.models.ensemble import build_ensemble, build_member

    specs = (MemberSpec(width=0.35, seed=1, dropout=0.0),)
    ensemble = keras.models.load_model(demo["run"] / "model.h5", compile=False)  # trained (SYNTHETIC), 32 px
    n_members = sum(isinstance(layer, layers.Dense) for layer in ensemble.layers)
    twin = qat.quantization_model(ensemble)
    frozen = {layer.name for layer in ensemble.layers if layer.weights and not layer.trainable}
    assert frozen == {layer.name for layer in ensemble.layers if isinstance(layer, layers.BatchNormalization)} | {"normalise"}
    quants = qat._act_quants(twin)
    # input, every stored conv / ReLU6 / residual output, pooled features, logits + softmax per member, the mean
    assert len(quants) > 20 and sum(q.fixed is not None for q in quants) == n_members + (n_members > 1)
    x = _images(16)
    qat.calibrate(twin, x)
    assert all(np.isfinite(float(q.lo)) and float(q.lo) <= 0.0 <= float(q.hi) for q in quants)
    f, q = np.asarray(ensemble(x, training=False)), np.asarray(twin(x, training=False))
    # quantised: the probabilities sit on the int8 output grid (1/256), a few steps from the float ones
    np.testing.assert_allclose(q * 256, np.round(q * 256), atol=1e-3)
    assert 0 < np.abs(q - f).max() < 0.05
    for quant in quants:  # activation rounding off: the twin is the float model with its kernels snapped
        quant.mode = "off"
    snapped = keras.models.clone_model(ensemble)
    snapped.set_weights(ensemble.get_weights())
    assert qat.snap_weights(snapped) == sum(isinstance(la, qat.WEIGHTED) for la in ensemble.layers)
    np.testing.assert_allclose(np.asarray(twin(x, training=False)), np.asarray(snapped(x, training=False)), atol=1e-5)
    qat.calibrate(twin, x)  # (back to "quant")
    kernel = ensemble.get_layer("m0_probs").kernel
    kernel.assign(kernel * 4.0)  # one set of weights: changing the ensemble changes the twin
    assert not np.allclose(np.asarray(twin(x, training=False)), q)
    with pytest.raises(ValueError, match="flat ensemble"):
        qat.quantization_model(build_ensemble([build_member(specs[0], 0, SIZE)], specs[:1], SIZE, tta_flips=True))


def test_qat_step_fine_tunes_the_demo_run_onto_the_int8_grid(demo, tmp_path):
    import keras

    from model_pipeline.qat import WEIGHTED, _channel_axis, snap_kernel

    run = tmp_path / "run"
    shutil.copytree(demo["run"], run)
    result = run_cli("qat", "--data", str(demo["data"]), "--run-dir", str(run), "--epochs", "1", "--batch-size", "16")
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads(RunDir(run).current("config").read_text())["qat"]
    assert record["epochs"] == 1 and record["distill"] == 1.0 and record["snapped_kernels"] > 10
    assert [e["epoch"] for e in record["history"]] == [0, 1] and record["history"][0]["loss"] is None
    assert "NaN" not in RunDir(run).current("config").read_text()  # the manifest copies it; JSON has no NaN
    assert all(0.0 <= e["fake_quant_agreement"] <= 1.0 for e in record["history"])
    assert (run / "model.h5").is_file() and RunDir(run).current("model").name.endswith("-qat.h5")  # the incoming model is kept
    model = keras.models.load_model(RunDir(run).current("model"), compile=False)
    assert all(layer.trainable for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    for layer in model.layers:
        if isinstance(layer, WEIGHTED):
            kernel = np.asarray(layer.kernel)
            np.testing.assert_allclose(snap_kernel(kernel, _channel_axis(layer)), kernel, atol=1e-6)
    # the fine-tuned run converts as usual; a second fine-tune is refused with a clear message
    converted = run_cli("convert", "--data", str(demo["data"]), "--run-dir", str(run), "--version", "2026.12.02-synthetic-qat-test")
    assert converted.returncode == 0, converted.stderr[-3000:]
    again = run_cli("qat", "--data", str(demo["data"]), "--run-dir", str(run), "--epochs", "1")
    assert again.returncode != 0 and "already fine-tuned" in again.stderr and "Traceback" not in again.stderr
