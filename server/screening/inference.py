"""Authoritative server inference: one .h5 per process, warmed up, micro-batched, hot-swapped.

Request threads preprocess their photo and enqueue the tensor; one batching thread per process
collects whatever is queued (up to `SCREENING_MAX_BATCH`, waiting at most `SCREENING_BATCH_WAIT_MS`
for company) and runs one forward pass for the lot. The active version is re-read from the database
at most every `SCREENING_MODEL_CHECK_SECONDS`; a new one is loaded and warmed up beside the old one,
which keeps serving until the swap.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from core.errors import ApplicationError
from lesion_contract.ood import OodRule, OodVariant, Outcome, assess
from screening.error_codes import ScreeningError

logger = logging.getLogger(__name__)

# The bundle model the server runs (model.h5): its "cannot assess" threshold is manifest.ood's "h5" one
# (lesion_contract.ood.threshold_for), while the app applies the int8 model's own.
SERVER_VARIANT: OodVariant = "h5"

Forward = Callable[[np.ndarray], np.ndarray]


def load_forward(h5_path: Path, size: int) -> Forward:
    """Load a bundle's .h5 (plain Keras, no custom objects) into a compiled forward function.

    The returned callable takes float32/uint8 NHWC pixel values 0..255 of any batch size and returns
    float32 probabilities (N, n_labels). The benchmark uses this same function for the bare timing.
    A model with the "cannot assess" output (r21 on) also has ``forward.with_features``: batch ->
    (probabilities, ood_features) from the same single pass.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    model = keras.models.load_model(str(h5_path), compile=False)

    @tf.function(input_signature=[tf.TensorSpec([None, size, size, 3], tf.float32)], reduce_retracing=True)
    def _graph(x: Any) -> Any:
        return model(x, training=False)

    def both(batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        out = _graph(tf.constant(np.asarray(batch, dtype=np.float32)))
        if isinstance(out, (list, tuple)):  # probabilities + ood_features
            return np.asarray(out[0].numpy(), dtype=np.float32), np.asarray(out[1].numpy(), dtype=np.float64)
        return np.asarray(out.numpy(), dtype=np.float32), None

    def forward(batch: np.ndarray) -> np.ndarray:
        return both(batch)[0]

    forward.keras_model = model  # type: ignore[attr-defined]  # keeps the weights alive with the function
    forward.with_features = both if len(model.outputs) > 1 else None  # type: ignore[attr-defined]
    return forward


@dataclass(eq=False)
class LoadedModel:
    model_version_id: int
    version: str
    size: int
    labels: list[str]
    forward: Forward
    record: Any = None  # the ModelVersion row it was loaded from (saves a query per screening)
    loaded_at: float = field(default_factory=time.monotonic)
    # The bundle's "cannot assess" rule (manifest.ood; None: every photo is assessed, as before r21) and,
    # for a rule on the model's second output, the forward pass that returns it with the probabilities.
    ood: OodRule | None = None
    forward_features: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]] | None = None


@dataclass(frozen=True)
class Prediction:
    probabilities: list[float]
    version: str
    model_version_id: int
    latency_ms: float  # queue wait + forward pass
    batch_size: int
    outcome: Outcome = "assessed"  # the bundle's "cannot assess" rule (lesion_contract.ood)
    ood_score: float | None = None


class _Job:
    __slots__ = ("batch_size", "done", "error", "features", "finished_at", "model", "queued_at", "result", "tensor")

    def __init__(self, tensor: np.ndarray, model: LoadedModel) -> None:
        self.queued_at = time.perf_counter()
        self.finished_at = 0.0
        self.tensor = tensor
        self.model = model
        self.done = threading.Event()
        self.result: np.ndarray | None = None
        self.features: np.ndarray | None = None
        self.error: BaseException | None = None
        self.batch_size = 0


def _unavailable(message: str) -> ApplicationError:
    return ApplicationError(message, code=ScreeningError.NO_ACTIVE_MODEL, status=503)


class InferenceEngine:
    def __init__(self) -> None:
        self._model: LoadedModel | None = None
        self._checked_at = float("-inf")
        self._failed: tuple[str, float] | None = None  # (version, when) of the last failed load: no reload storm
        self._load_lock = threading.Lock()
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._thread_pid = 0
        self._thread_lock = threading.Lock()
        # Requests inside the service (checking a photo, queued or being answered): the batcher only
        # waits for company when some of them have not reached the queue yet.
        self._inflight = 0
        self._inflight_lock = threading.Lock()
        self.batches_run = 0
        self.loads = 0
        self.batch_sizes: deque[int] = deque(maxlen=1000)

    # -- configuration (read at call time so tests can override settings) --
    @staticmethod
    def max_batch() -> int:
        return max(1, int(settings.SCREENING_MAX_BATCH))

    @staticmethod
    def batch_wait() -> float:
        return max(0.0, float(settings.SCREENING_BATCH_WAIT_MS) / 1000.0)

    @staticmethod
    def retry_after() -> float:
        return float(settings.SCREENING_MODEL_RETRY_SECONDS)

    @staticmethod
    def check_interval() -> float:
        return float(settings.SCREENING_MODEL_CHECK_SECONDS)

    # -- model lifecycle --
    @property
    def loaded(self) -> LoadedModel | None:
        return self._model

    def invalidate(self) -> None:
        """Re-read the active version on the next request (called after an activation commits)."""
        self._checked_at = float("-inf")

    def reset(self) -> None:
        """Forget the loaded model (tests)."""
        with self._load_lock:
            self._model = None
            self._failed = None
            self._checked_at = float("-inf")

    def current(self) -> LoadedModel:
        """The model to use now: the active version, loaded and warmed up once per process."""
        model = self._model
        now = time.monotonic()
        if model is not None and now - self._checked_at < self.check_interval():
            return model
        from screening.selectors import model_version_active

        active = model_version_active()
        self._checked_at = now
        if active is None:
            if model is not None:
                return model  # nothing active any more (should not happen): keep serving what we have
            raise _unavailable("No model version is active; an administrator must import and activate a bundle.")
        if model is not None and model.version == active.version:
            if model.model_version_id != active.id:  # same bundle re-registered (e.g. a restored database)
                model = replace(model, model_version_id=active.id, record=active)
                self._model = model
            return model
        failed = self._failed
        if failed is not None and failed[0] == active.version and now - failed[1] < self.retry_after():
            if model is not None:
                return model
            raise _unavailable(f"The active model {active.version} could not be loaded; retrying shortly.")
        # Load beside the current model: other threads keep using the old one until the swap.
        if model is not None and not self._load_lock.acquire(blocking=False):
            return model
        if model is None:
            self._load_lock.acquire()
        try:
            if self._model is not None and self._model.version == active.version:
                return self._model
            try:
                loaded = self._load(active)
            except Exception as exc:
                logger.exception("Loading model %s failed", active.version)
                self._failed = (active.version, time.monotonic())
                if self._model is not None:
                    return self._model
                raise _unavailable(f"The active model {active.version} could not be loaded.") from exc
            self._model = loaded
            self._failed = None
            return loaded
        finally:
            self._load_lock.release()

    def _load(self, active: Any) -> LoadedModel:
        from screening.bundles import h5_path, input_size

        started = time.perf_counter()
        manifest = active.manifest
        size = input_size(manifest)
        forward = load_forward(h5_path(Path(active.path), manifest), size)
        labels = list(manifest["labels"])
        ood = OodRule.from_dict(manifest["ood"]) if manifest.get("ood") is not None else None
        with_features = getattr(forward, "with_features", None)
        if ood is not None and ood.needs_features and with_features is None:
            raise ValueError(f"manifest.ood needs the model's {ood.output} output, which model.h5 lacks")
        # Warm up: trace the graph and allocate buffers for a single image and a full batch.
        for n in (1, self.max_batch()):
            out = forward(np.zeros((n, size, size, 3), dtype=np.float32))
            if out.shape != (n, len(labels)):
                raise ValueError(f"model output shape {out.shape} does not match {len(labels)} labels")
        self.loads += 1
        logger.info("Loaded model %s (%dx%d) in %.1f s", active.version, size, size, time.perf_counter() - started)
        return LoadedModel(
            model_version_id=active.id,
            version=active.version,
            size=size,
            labels=labels,
            forward=forward,
            record=active,
            ood=ood,
            forward_features=with_features if ood is not None and ood.needs_features else None,
        )

    # -- batching --
    def _ensure_thread(self) -> None:
        pid = os.getpid()
        if self._thread is not None and self._thread.is_alive() and self._thread_pid == pid:
            return
        with self._thread_lock:
            if self._thread is not None and self._thread.is_alive() and self._thread_pid == pid:
                return
            if self._thread_pid != pid:
                self._queue = queue.Queue()  # a forked child must not share the parent's queue
            self._thread = threading.Thread(target=self._run, name="screening-batcher", daemon=True)
            self._thread_pid = pid
            self._thread.start()

    @contextmanager
    def request(self, n: int = 1) -> Iterator[None]:
        """Mark `n` screenings as on their way to the model (so the batcher knows to wait for them)."""
        with self._inflight_lock:
            self._inflight += n
        try:
            yield
        finally:
            with self._inflight_lock:
                self._inflight -= n

    def _collect(self, pending: deque[_Job]) -> list[_Job]:
        first = pending.popleft() if pending else self._queue.get()
        batch = [first]
        limit = self.max_batch()
        deadline = time.monotonic() + self.batch_wait()
        while len(batch) < limit:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                # Alone (concurrency 1): answer at once instead of waiting for company that is not coming.
                if remaining <= 0 or self._inflight <= len(batch) + len(pending):
                    break
                try:
                    job = self._queue.get(timeout=min(remaining, 0.0005))
                except queue.Empty:
                    continue
            if job.model is first.model:
                batch.append(job)
            else:
                pending.append(job)  # queued for another model version: next batch
        return batch

    def _run(self) -> None:
        pending: deque[_Job] = deque()
        while True:
            batch = self._collect(pending)
            try:
                model = batch[0].model
                stacked = np.stack([job.tensor for job in batch])
                if model.forward_features is not None:
                    outputs, features = model.forward_features(stacked)
                else:
                    outputs, features = model.forward(stacked), None
                for i, (job, out) in enumerate(zip(batch, outputs, strict=True)):
                    job.result = out
                    job.features = None if features is None else features[i]
                    job.batch_size = len(batch)
            except BaseException as exc:
                logger.exception("Forward pass failed for a batch of %d", len(batch))
                for job in batch:
                    job.error = exc
            finally:
                self.batches_run += 1
                self.batch_sizes.append(len(batch))
                finished = time.perf_counter()
                for job in batch:
                    job.finished_at = finished
                    job.done.set()

    def predict(self, tensor: np.ndarray, model: LoadedModel) -> Prediction:
        """Run one preprocessed uint8 (H, W, 3) tensor through `model` via the batcher."""
        return self.wait(self.submit(tensor, model))

    def submit(self, tensor: np.ndarray, model: LoadedModel) -> _Job:
        """Queue a tensor and return at once, so the caller can work while the model runs."""
        if tensor.shape != (model.size, model.size, 3):
            raise ValueError(f"tensor shape {tensor.shape} does not match the model input {model.size}x{model.size}x3")
        job = _Job(tensor, model)
        self._ensure_thread()
        self._queue.put(job)
        return job

    def wait(self, job: _Job) -> Prediction:
        model = job.model
        timeout = float(settings.SCREENING_INFERENCE_TIMEOUT_S)
        if not job.done.wait(timeout):
            raise ApplicationError("The model did not answer in time; try again.", code=ScreeningError.INFERENCE_FAILED, status=503)
        if job.error is not None or job.result is None:
            raise ApplicationError("The model failed on this photo; try again later.", code=ScreeningError.INFERENCE_FAILED, status=503)
        probs = [float(p) for p in job.result]
        try:
            outcome, score = assess(model.ood, job.features, probs, variant=SERVER_VARIANT)
        except ValueError as exc:  # a rule the model's outputs do not fit: never a verdict without the check
            logger.error("cannot-assess rule of %s failed: %s", model.version, exc)
            raise ApplicationError("The model failed on this photo; try again later.", code=ScreeningError.INFERENCE_FAILED, status=503) from exc
        return Prediction(
            probabilities=probs,
            version=model.version,
            model_version_id=model.model_version_id,
            latency_ms=(job.finished_at - job.queued_at) * 1000.0,
            batch_size=job.batch_size,
            outcome=outcome,
            ood_score=score,
        )

    def predict_many(self, tensors: list[np.ndarray], model: LoadedModel) -> list[Prediction]:
        """Queue several tensors at once (they share forward passes) and wait for all."""
        jobs = [self.submit(tensor, model) for tensor in tensors]
        return [self.wait(job) for job in jobs]


ENGINE = InferenceEngine()


def warm_up() -> str | None:
    """Load and warm up the active model now; returns its version (None when none is active)."""
    try:
        model = ENGINE.current()
    except ApplicationError as exc:
        logger.warning("Model warm-up skipped: %s", exc.message)
        return None
    ENGINE.predict(np.zeros((model.size, model.size, 3), dtype=np.uint8), model)
    return model.version


def warm_up_in_background() -> None:
    def _target() -> None:
        from django.db import connection

        try:
            warm_up()
        except Exception:
            logger.exception("Model warm-up failed")
        finally:
            connection.close()

    threading.Thread(target=_target, name="screening-warmup", daemon=True).start()
