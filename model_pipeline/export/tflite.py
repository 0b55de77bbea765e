"""Convert a Keras model to TFLite and run TFLite models with the LiteRT interpreter."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from model_pipeline.errors import BundleError
from model_pipeline.export.quantization import Quantization

N_LABELS = 7  # len(lesion_contract.labels.LABELS): the probabilities output's length


def batch1_saved_model(model, directory: Path) -> Path:
    """Export ``model``'s inference call (``training=False``) as a SavedModel whose input is ``[1, H, W, 3]``.

    ``TFLiteConverter.from_keras_model`` traces the Keras input, whose batch is ``None``, so the
    converted file's input ``shape_signature`` says ``[-1, H, W, 3]``: LiteRT.js then refuses a
    ``[1, H, W, 3]`` tensor and fast-tflite's GPU delegate reports a batch mismatch. This is the
    converter's own Keras 3 path (an ``ExportArchive`` endpoint, then the SavedModel importer) with
    the batch fixed to 1, so the graph and its quantisation are otherwise the same.
    """
    import functools

    import keras
    import tensorflow as tf

    if len(model.inputs) != 1 or len(model.inputs[0].shape) != 4:  # outputs: probabilities (+ ood_features)
        raise ValueError(f"expected one NHWC image input, got {[tuple(x.shape) for x in model.inputs]}")
    spec = tf.TensorSpec([1, *model.inputs[0].shape[1:]], dtype=model.inputs[0].dtype, name=model.inputs[0].name)
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("serve", functools.partial(model.__call__, training=False), [spec])
    archive.write_out(str(directory), verbose=False)
    return Path(directory)


def convert(model, quant: Quantization) -> bytes:
    """Return the TFLite flatbuffer for ``model`` under ``quant``, with a fixed batch of 1 (input ``[1, H, W, 3]``)."""
    import tempfile

    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="tflite-export-") as tmp:
        converter = tf.lite.TFLiteConverter.from_saved_model(str(batch1_saved_model(model, Path(tmp) / "saved_model")))
        _configure(converter, quant)
        return bytes(converter.convert())


def _configure(converter, quant: Quantization) -> None:
    import tensorflow as tf

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quant.variant == "int8":
        converter.representative_dataset = quant.representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.uint8
        converter.inference_output_type = tf.uint8
        # no public switch exists for per-tensor weight quantisation in TF 2.21's converter
        converter._experimental_disable_per_channel = not quant.per_channel
    elif quant.variant == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    else:
        raise ValueError(f"unknown quantisation variant {quant.variant!r}")


class TFLiteModel:
    """A loaded .tflite model: ``predict`` takes uint8 HxWx3 images and returns float probabilities.

    A model exported with the "cannot assess" rule has a second output, ``ood_features``; the outputs
    are told apart by length (the probabilities have 7 values, the features never do), since the
    converter does not keep the Keras output order.
    """

    def __init__(self, path_or_bytes: str | Path | bytes, num_threads: int = 1):
        from ai_edge_litert.interpreter import Interpreter

        try:
            if isinstance(path_or_bytes, (bytes, bytearray)):
                self.interpreter = Interpreter(model_content=bytes(path_or_bytes), num_threads=num_threads)
            else:
                self.interpreter = Interpreter(model_path=str(path_or_bytes), num_threads=num_threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise BundleError(f"cannot load TFLite model {str(path_or_bytes)[:80]}: {exc}") from exc
        self.input = self.interpreter.get_input_details()[0]
        outputs = self.interpreter.get_output_details()
        probs = [o for o in outputs if int(o["shape"][-1]) == N_LABELS]
        self.output = probs[0] if len(probs) == 1 else outputs[0]
        others = [o for o in outputs if o is not self.output]
        self.features_output = others[0] if len(others) == 1 else None
        self.n_outputs = len(outputs)

    @property
    def input_shape_signature(self) -> list[int]:
        """The input shape the file declares (-1 marks a dynamic dimension, e.g. a batch left open)."""
        return [int(d) for d in self.input.get("shape_signature", self.input["shape"])]

    @property
    def output_shape_signature(self) -> list[int]:
        return [int(d) for d in self.output.get("shape_signature", self.output["shape"])]

    @property
    def features_quantization(self) -> tuple[float, int] | None:
        if self.features_output is None:
            return None
        scale, zero_point = self.features_output["quantization"]
        return float(scale), int(zero_point)

    @property
    def features_shape_signature(self) -> list[int] | None:
        out = self.features_output
        return None if out is None else [int(d) for d in out.get("shape_signature", out["shape"])]

    @property
    def input_dtype(self) -> np.dtype:
        return np.dtype(self.input["dtype"])

    @property
    def output_quantization(self) -> tuple[float, int]:
        scale, zero_point = self.output["quantization"]
        return float(scale), int(zero_point)

    @property
    def input_quantization(self) -> tuple[float, int]:
        scale, zero_point = self.input["quantization"]
        return float(scale), int(zero_point)

    def raw(self, image: np.ndarray) -> np.ndarray:
        """Run one uint8 HxWx3 image; return the output tensor as stored (uint8 for int8 models)."""
        x = image[None, ...].astype(self.input_dtype)
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"])[0].copy()

    def raw_with_features(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Both outputs as stored (uint8 for int8 models); features None for a one-output model."""
        x = image[None, ...].astype(self.input_dtype)
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()
        probs = self.interpreter.get_tensor(self.output["index"])[0].copy()
        feats = None if self.features_output is None else self.interpreter.get_tensor(self.features_output["index"])[0].copy()
        return probs, feats

    def predict_with_features(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Float probabilities and float (dequantised) ``ood_features`` (None without the second output)."""
        probs, feats = self.raw_with_features(image)
        if np.issubdtype(probs.dtype, np.integer):
            scale, zero_point = self.output_quantization
            probs = (probs.astype(np.float32) - zero_point) * scale
        if feats is not None and np.issubdtype(feats.dtype, np.integer):
            fq = self.features_quantization
            assert fq is not None
            feats = (feats.astype(np.float64) - fq[1]) * fq[0]
        return probs.astype(np.float32), None if feats is None else np.asarray(feats, dtype=np.float64)

    def predict_one(self, image: np.ndarray) -> np.ndarray:
        out = self.raw(image)
        if np.issubdtype(out.dtype, np.integer):
            scale, zero_point = self.output_quantization
            return (out.astype(np.float32) - zero_point) * scale
        return out.astype(np.float32)

    def predict(self, images: np.ndarray) -> np.ndarray:
        return np.stack([self.predict_one(im) for im in images]) if len(images) else np.zeros((0, 7), np.float32)


def median_latency_ms(fn, image: np.ndarray, runs: int = 50, warmup: int = 5) -> float:
    """Median wall-clock milliseconds of ``fn(image)`` over ``runs`` calls after ``warmup``."""
    for _ in range(warmup):
        fn(image)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(image)
        times.append((time.perf_counter() - start) * 1000.0)
    return float(np.median(times))
