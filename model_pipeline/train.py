"""Train the ensemble members (early stopping on validation balanced accuracy) and save ``model.h5``."""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from lesion_contract.labels import LABELS, MEL_INDEX
from model_pipeline.config import MemberSpec, TrainConfig
from model_pipeline.data.tfdata import class_sample_weights, class_sampling_probs, train_dataset
from model_pipeline.errors import ConfigError
from model_pipeline.metrics import balanced_accuracy, confusion, per_class_recall
from model_pipeline.models.ensemble import build_ensemble, build_member, member_prefix
from model_pipeline.progress import log


@dataclass
class MemberResult:
    model: keras.Model
    best_epoch: int
    best_balanced_accuracy: float
    history: list[dict]
    seconds: float
    swa: dict | None = None  # {"epochs": [first, last], "best_single_epoch": ..., ...} when weights were averaged


def validation_scores(model: keras.Model, val_x: np.ndarray, val_y: np.ndarray) -> tuple[float, np.ndarray]:
    """(balanced accuracy, per-class recall) of the model's top-1 predictions on the validation split."""
    pred = predict_probs(model, val_x).argmax(axis=1)
    return balanced_accuracy(val_y, pred), per_class_recall(confusion(val_y, pred))


def predict_probs(model: keras.Model, images: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Probabilities for uint8 images, batch by batch, in inference mode. (Batches of 256 at 176 px through a
    two-member EfficientNet-Lite0 ensemble took over 20 GB and were OOM-killed on the 24 GB machine.)"""
    out = []
    for start in range(0, len(images), batch_size):
        batch = images[start : start + batch_size].astype(np.float32)
        out.append(np.asarray(model(batch, training=False)))
    return np.concatenate(out, axis=0) if out else np.zeros((0, len(LABELS)), np.float32)


class _Schedule(keras.callbacks.Callback):
    """Cosine LR with linear warm-up, set per batch; shortens itself to fit a wall-clock budget."""

    def __init__(self, cfg: TrainConfig, steps_per_epoch: int, spec: MemberSpec | None = None):
        super().__init__()
        spec = spec or MemberSpec()
        self.learning_rate = spec.learning_rate if spec.learning_rate is not None else cfg.learning_rate
        self.warmup_epochs = spec.warmup_epochs if spec.warmup_epochs is not None else cfg.warmup_epochs
        self.budget = spec.max_minutes if spec.max_minutes is not None else cfg.max_minutes_per_member
        self.steps = steps_per_epoch
        self.total_epochs = spec.epochs if spec.epochs is not None else cfg.epochs
        self.constant = cfg.swa_epochs > 0  # SWA: a constant LR after warm-up, so the averaged weights differ
        self.step = 0
        self.epoch_start = 0.0

    def lr_at(self, step: int) -> float:
        warm = self.warmup_epochs * self.steps
        total = max(self.total_epochs * self.steps, warm + 1)
        if step < warm:
            return self.learning_rate * (step + 1) / warm
        if self.constant:
            return self.learning_rate
        progress = min(1.0, (step - warm) / max(total - warm, 1))
        return self.learning_rate * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * progress)))

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.lr_at(self.step))
        self.step += 1

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        budget = self.budget
        if epoch == 0 and budget:
            per_epoch = time.monotonic() - self.epoch_start
            affordable = max(2, int(budget * 60 / max(per_epoch, 1e-6)))
            if affordable < self.total_epochs:
                log(f"  budget {budget:.0f} min at {per_epoch:.0f}s/epoch: schedule shortened to {affordable} epochs")
                self.total_epochs = affordable
        if epoch + 1 >= self.total_epochs:
            self.model.stop_training = True


class _ValidationMonitor(keras.callbacks.Callback):
    """Balanced accuracy + melanoma recall on validation each epoch; best checkpoint; early stopping."""

    def __init__(self, val_x, val_y, patience: int | None, checkpoint: Path, name: str, schedule: _Schedule | None = None):
        super().__init__()
        self.val_x, self.val_y = val_x, val_y
        self.schedule = schedule
        self.patience = patience
        self.checkpoint = checkpoint
        self.name = name
        self.best = -1.0
        self.best_epoch = -1
        self.history: list[dict] = []
        self.t0 = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self.t0 = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        train_seconds = time.monotonic() - self.t0
        bacc, recall = validation_scores(self.model, self.val_x, self.val_y)
        seconds = time.monotonic() - self.t0
        entry = {
            "epoch": epoch + 1,
            "loss": float((logs or {}).get("loss", float("nan"))),
            "val_balanced_accuracy": bacc,
            "val_mel_recall": float(recall[MEL_INDEX]),
            "val_recall": {label: float(r) for label, r in zip(LABELS, recall, strict=False)},
            "lr": float(self.model.optimizer.learning_rate.numpy()),
            "epoch_seconds": round(train_seconds, 1),
            "validation_seconds": round(seconds - train_seconds, 1),
        }
        self.history.append(entry)
        improved = bacc > self.best
        if improved:
            self.best, self.best_epoch = bacc, epoch + 1
            self.model.save_weights(self.checkpoint)
        total = self.schedule.total_epochs if self.schedule else None
        of = f"/{total}" if total else ""
        eta = f", eta {(total - epoch - 1) * seconds / 60:.0f} min" if total else ""
        log(
            f"{self.name} epoch {epoch + 1}{of}: loss {entry['loss']:.4f} val_bacc {bacc:.4f} "
            f"mel_recall {recall[MEL_INDEX]:.3f} lr {entry['lr']:.2e} {train_seconds:.0f}s + {seconds - train_seconds:.0f}s val{eta}"
            + (" *best*" if improved else "")
        )
        if self.patience is not None and epoch + 1 - self.best_epoch >= self.patience:
            log(f"{self.name}: early stop, no improvement for {self.patience} epochs")
            self.model.stop_training = True


class _WeightAverage(keras.callbacks.Callback):
    """Running mean of the trainable weights at the end of each of the schedule's last ``n`` epochs."""

    def __init__(self, schedule: _Schedule, n: int):
        super().__init__()
        self.schedule, self.n = schedule, n
        self.mean: list[np.ndarray] | None = None
        self.epochs: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 <= self.schedule.total_epochs - self.n:  # total_epochs may shrink after epoch 1 (budget)
            return
        current = [np.asarray(w.numpy(), dtype=np.float64) for w in self.model.trainable_weights]
        self.epochs.append(epoch + 1)
        if self.mean is None:
            self.mean = current
        else:
            k = len(self.epochs)
            self.mean = [m + (c - m) / k for m, c in zip(self.mean, current, strict=True)]

    def apply(self, model: keras.Model) -> None:
        if self.mean is None:
            raise ConfigError("weight averaging collected no epochs")
        for weight, value in zip(model.trainable_weights, self.mean, strict=True):
            weight.assign(value.astype(weight.dtype))


class _EpochCheckpoint(keras.callbacks.Callback):
    """After every epoch: the member's weights, optimizer state and training state, so ``--resume`` goes on.

    Written to temporary names and renamed, state last, so an interruption at any moment leaves either the
    previous epoch's checkpoint or this one, never a mix. Must run after the schedule, the validation monitor
    and the weight average in the callback list (it records their state).
    """

    def __init__(self, paths: MemberPaths, fingerprint: str, schedule: _Schedule, monitor: _ValidationMonitor, average: _WeightAverage | None, elapsed: float):
        super().__init__()
        self.paths, self.fingerprint = paths, fingerprint
        self.schedule, self.monitor, self.average = schedule, monitor, average
        self.elapsed0 = elapsed  # seconds spent before this process (resumed runs)
        self.started = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        weights_tmp = self.paths.last_weights.with_name(self.paths.last_weights.name + ".tmp.weights.h5")
        self.model.save_weights(weights_tmp)
        arrays = {f"opt{i}": np.asarray(v.numpy()) for i, v in enumerate(self.model.optimizer.variables)}
        if self.average is not None and self.average.mean is not None:
            arrays.update({f"swa{i}": m for i, m in enumerate(self.average.mean)})
        opt_tmp = self.paths.last_optimizer.with_name(self.paths.last_optimizer.name + ".tmp.npz")
        with opt_tmp.open("wb") as handle:
            np.savez(handle, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as allow_pickle
        state = {
            "fingerprint": self.fingerprint,
            "epochs_done": epoch + 1,
            "schedule_step": self.schedule.step,
            "total_epochs": self.schedule.total_epochs,
            "best": self.monitor.best,
            "best_epoch": self.monitor.best_epoch,
            "history": self.monitor.history,
            "swa_epochs": self.average.epochs if self.average is not None else [],
            "seconds": round(self.elapsed0 + time.monotonic() - self.started, 1),
            "stopped": bool(self.model.stop_training),
        }
        weights_tmp.replace(self.paths.last_weights)
        opt_tmp.replace(self.paths.last_optimizer)
        _write_json_atomic(self.paths.state, state)


@dataclass(frozen=True)
class MemberPaths:
    """The files one member owns in the run directory."""

    best: Path  # the chosen weights (read by assemble)
    last_weights: Path  # the last finished epoch (resume)
    last_optimizer: Path
    state: Path  # epochs done, schedule position, validation history (resume)
    done: Path  # the member's result once it finished (resume skips it)

    @classmethod
    def of(cls, run_dir: Path, index: int) -> MemberPaths:
        return cls(
            best=run_dir / f"member{index}.best.weights.h5",
            last_weights=run_dir / f"member{index}.last.weights.h5",
            last_optimizer=run_dir / f"member{index}.last.optimizer.npz",
            state=run_dir / f"member{index}.state.json",
            done=run_dir / f"member{index}.done.json",
        )


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    tmp.replace(path)


def member_fingerprint(spec: MemberSpec, index: int, cfg: TrainConfig, n_train: int, n_val: int) -> str:
    """What a checkpoint must have been trained with to be resumed: the config, the member and the data sizes."""
    import hashlib

    payload = json.dumps({"cfg": cfg.to_dict(), "index": index, "n_train": n_train, "n_val": n_val}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def recalibrate_batch_norm(
    model: keras.Model,
    images: np.ndarray,
    batch_size: int = 64,
    seed: int = 0,
    transform: Callable[[np.ndarray], Any] | None = None,
) -> int:
    """Set every BatchNormalization layer's moving statistics to their mean over ``images``.

    Averaged weights never produced the running statistics they were trained with (and momentum 0.9
    tracks only the last few batches anyway): forward the training images once in training mode with
    momentum (k - 1) / k at batch k, an exact running mean. ``transform`` (e.g. the training
    augmentation) is applied to each float32 batch first. Returns the number of batches used.
    """
    layers_bn = [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]
    saved = [layer.momentum for layer in layers_bn]
    order = np.random.default_rng(seed).permutation(len(images))
    batches = [order[i : i + batch_size] for i in range(0, len(images) - batch_size + 1, batch_size)] or [order]
    try:
        for k, idx in enumerate(batches, 1):
            for layer in layers_bn:
                layer.momentum = (k - 1) / k
            batch = images[idx].astype(np.float32)
            model(transform(batch) if transform else batch, training=True)
    finally:
        for layer, momentum in zip(layers_bn, saved, strict=True):
            layer.momentum = momentum
    return len(batches)


def _all_layers(model: keras.Model) -> list[keras.layers.Layer]:
    out = []
    for layer in model.layers:
        out += _all_layers(layer) if isinstance(layer, keras.Model) else [layer]
    return out


def configured_sample_weights(cfg: TrainConfig, labels: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """Per-sample loss weights and per-class weights from the config's class weighting and boosts."""
    boost = np.array([cfg.class_weight_boost.get(label, 1.0) for label in LABELS])
    return class_sample_weights(labels, len(LABELS), cfg.class_weight_power, boost)


def train_member(
    spec: MemberSpec,
    index: int,
    cfg: TrainConfig,
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    run_dir: Path,
    *,
    resume: bool = False,
    sample_weights: np.ndarray | None = None,
) -> MemberResult:
    """Train one member and restore its best-validation weights.

    Every epoch is checkpointed (``MemberPaths``); with ``resume`` a member that finished before is loaded
    instead of trained, and one that was interrupted goes on after its last finished epoch with its optimizer,
    learning-rate schedule, validation history and weight average restored (the shuffling order restarts, so
    a resumed run is not bit-identical to an uninterrupted one).
    """
    start = time.monotonic()
    if spec.image_size not in (None, cfg.image_size):
        raise ConfigError(f"members[{index}].image_size {spec.image_size}: a member trains at the run's image_size ({cfg.image_size})")
    paths = MemberPaths.of(run_dir, index)
    fingerprint = member_fingerprint(spec, index, cfg, len(train_x), len(val_x))
    model = build_member(spec, index, cfg.image_size)
    if resume and paths.done.is_file():
        done = _read_checkpoint_json(paths.done, fingerprint)
        model.load_weights(paths.best)
        log(f"member {index}: finished before (best val_bacc {done['best_balanced_accuracy']:.4f} at epoch {done['best_epoch']}), not trained again")
        return MemberResult(model, done["best_epoch"], done["best_balanced_accuracy"], done["history"], done["seconds"], done.get("swa"))
    state = _read_checkpoint_json(paths.state, fingerprint) if resume and paths.state.is_file() else None
    if state is None and cfg.init_from:
        warm_start(model, index, Path(cfg.init_from))
    weights, per_class = configured_sample_weights(cfg, train_y)
    if sample_weights is not None:  # e.g. classes balanced within each dataset (pipeline.dataset_balanced_weights)
        if sample_weights.shape != (len(train_y),) or cfg.sampling == "balanced":
            raise ConfigError("sample_weights: one weight per training image, and only with sampling 'weights'")
        weights = sample_weights.astype(np.float32)
        per_class = [float(weights[train_y == k].sum() / max(1, len(train_y))) for k in range(len(LABELS))]
    class_probs = class_sampling_probs(train_y, len(LABELS), per_class) if cfg.sampling == "balanced" else None
    if class_probs is not None:
        balancing = f"balanced sampling {dict(zip(LABELS, [round(float(p), 3) for p in class_probs], strict=False))}"
    elif sample_weights is not None:
        balancing = f"given sample weights, share per class {dict(zip(LABELS, [round(w, 3) for w in per_class], strict=False))}"
    else:
        balancing = f"class weights {dict(zip(LABELS, [round(w, 2) for w in per_class], strict=False))}"
    log(f"member {index} ({spec.arch} w={spec.width} seed={spec.seed}): {model.count_params():,} params; {balancing}")
    ds = train_dataset(
        train_x,
        train_y,
        weights,
        n_classes=len(LABELS),
        batch_size=min(cfg.batch_size, len(train_x)),
        augment=cfg.augment,
        seed=spec.seed,
        class_probs=class_probs,
    )
    steps = max(1, len(train_x) // min(cfg.batch_size, len(train_x)))
    schedule = _Schedule(cfg, steps, spec)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=schedule.learning_rate, weight_decay=cfg.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
    )
    checkpoint = paths.best  # the member's chosen weights (read by assemble)
    if cfg.swa_epochs <= 0:
        monitor = _ValidationMonitor(val_x, val_y, cfg.patience, checkpoint, f"member {index}", schedule)
        average = None
    else:  # SWA: validation is only logged (the best single epoch is kept for comparison), never used to choose
        monitor = _ValidationMonitor(val_x, val_y, None, run_dir / f"member{index}.best_epoch.weights.h5", f"member {index}", schedule)
        average = _WeightAverage(schedule, cfg.swa_epochs)
    initial_epoch, earlier_seconds = _restore(model, state, paths, schedule, monitor, average) if state else (0, 0.0)
    saver = _EpochCheckpoint(paths, fingerprint, schedule, monitor, average, earlier_seconds)
    callbacks = [schedule, monitor] + ([average] if average else []) + [saver]
    if not (state and state["stopped"]) and initial_epoch < schedule.total_epochs:
        model.fit(ds, epochs=schedule.total_epochs, initial_epoch=initial_epoch, verbose=0, callbacks=callbacks)
    if average is None:
        model.load_weights(checkpoint)
        seconds = earlier_seconds + time.monotonic() - start
        log(f"member {index}: best val_bacc {monitor.best:.4f} at epoch {monitor.best_epoch} ({seconds / 60:.1f} min)")
        result = MemberResult(model, monitor.best_epoch, monitor.best, monitor.history, seconds)
        _write_done(paths, fingerprint, result)
        return result
    average.apply(model)
    batches = recalibrate_batch_norm(model, train_x, batch_size=min(cfg.batch_size, len(train_x)), seed=spec.seed)
    model.save_weights(checkpoint)
    bacc, recall = validation_scores(model, val_x, val_y)
    mel = float(recall[MEL_INDEX])
    seconds = earlier_seconds + time.monotonic() - start
    swa = {
        "epochs": [average.epochs[0], average.epochs[-1]],
        "batch_norm_batches": batches,
        "val_balanced_accuracy": bacc,
        "val_mel_recall": mel,
        "best_single_epoch": monitor.best_epoch,
        "best_single_epoch_val_balanced_accuracy": monitor.best,
    }
    log(
        f"member {index}: weights averaged over epochs {average.epochs[0]}-{average.epochs[-1]}: val_bacc {bacc:.4f} "
        f"mel_recall {mel:.3f} (best single epoch {monitor.best_epoch}: {monitor.best:.4f}) ({seconds / 60:.1f} min)"
    )
    result = MemberResult(model, average.epochs[-1], bacc, monitor.history, seconds, swa)
    _write_done(paths, fingerprint, result)
    return result


def _read_checkpoint_json(path: Path, fingerprint: str) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: unreadable checkpoint state ({exc}); delete it to train that member again") from exc
    if data.get("fingerprint") != fingerprint:
        raise ConfigError(
            f"{path} was written with another configuration or dataset than this run's; "
            "resume with the same --config/--set and data, or use a new --run-dir"
        )
    return data


def _restore(model, state: dict, paths: MemberPaths, schedule: _Schedule, monitor: _ValidationMonitor, average: _WeightAverage | None) -> tuple[int, float]:
    """Load the last finished epoch's weights, optimizer and schedule; returns (epochs done, seconds spent)."""
    model.load_weights(paths.last_weights)
    model.optimizer.build(model.trainable_variables)
    with np.load(paths.last_optimizer) as arrays:
        variables = model.optimizer.variables
        saved = sorted((k for k in arrays.files if k.startswith("opt")), key=lambda k: int(k[3:]))
        if len(saved) != len(variables):
            raise ConfigError(f"{paths.last_optimizer}: {len(saved)} optimizer variables, the model has {len(variables)}")
        for variable, key in zip(variables, saved, strict=True):
            variable.assign(arrays[key])
        if average is not None and state["swa_epochs"]:
            average.mean = [arrays[k] for k in sorted((k for k in arrays.files if k.startswith("swa")), key=lambda k: int(k[3:]))]
            average.epochs = list(state["swa_epochs"])
    schedule.step = state["schedule_step"]
    schedule.total_epochs = state["total_epochs"]
    monitor.best, monitor.best_epoch, monitor.history = state["best"], state["best_epoch"], list(state["history"])
    done = state["epochs_done"]
    log(f"{monitor.name}: resumed after epoch {done}/{schedule.total_epochs} (best val_bacc {monitor.best:.4f} at epoch {monitor.best_epoch})")
    return done, float(state["seconds"])


def _write_done(paths: MemberPaths, fingerprint: str, result: MemberResult) -> None:
    _write_json_atomic(
        paths.done,
        {
            "fingerprint": fingerprint,
            "best_epoch": result.best_epoch,
            "best_balanced_accuracy": result.best_balanced_accuracy,
            "history": result.history,
            "seconds": round(result.seconds, 1),
            "swa": result.swa,
        },
    )


@functools.lru_cache(maxsize=1)
def _load_ensemble(path: Path) -> keras.Model:
    """The warm-start ensemble, read once per run rather than once per member."""
    return keras.models.load_model(path, compile=False)


def warm_start(model: keras.Model, index: int, init_dir: Path) -> bool:
    """Initialise member ``index`` from a previous run's checkpoint or from an ensemble ``model.h5``.

    The ensemble's member layers carry the ``m<index>_`` prefix, flat or inside a nested ``member<index>``
    sub-model (test-time-augmentation ensembles); every weighted layer must be found, with equal shapes.
    """
    checkpoint = init_dir / f"member{index}.best.weights.h5"
    if checkpoint.is_file():
        model.load_weights(checkpoint)
        log(f"member {index}: warm start from {checkpoint}")
        return True
    from model_pipeline.rundir import RunDir

    ensemble_path = RunDir(init_dir).current("model")
    if not ensemble_path.is_file():
        log(f"member {index}: no {checkpoint} or {ensemble_path}, training from scratch")
        return False
    if not copy_member_weights(model, index, ensemble_path, index):
        log(f"member {index}: {ensemble_path} has no member {index}, training from scratch")
        return False
    log(f"member {index}: warm start from {ensemble_path}")
    return True


def copy_member_weights(model: keras.Model, index: int, ensemble_path: Path, source_index: int) -> bool:
    """Copy member ``source_index`` of the ensemble at ``ensemble_path`` into ``model`` (member ``index``).

    Layers are matched by name with the member prefix swapped (``m<source_index>_`` -> ``m<index>_``).
    False when the ensemble has no such member; ConfigError when the architectures differ.
    """
    source = _load_ensemble(ensemble_path)
    layers = {layer.name: layer for layer in source.layers}
    nested = layers.get(f"member{source_index}")
    if isinstance(nested, keras.Model):
        layers.update({layer.name: layer for layer in nested.layers})
    prefix, source_prefix = member_prefix(index), member_prefix(source_index)
    if not any(name.startswith(source_prefix) for name in layers):
        return False
    for layer in (layer for layer in model.layers if layer.weights and layer.name.startswith(prefix)):
        name = source_prefix + layer.name[len(prefix) :]
        if name not in layers:
            raise ConfigError(f"{ensemble_path}: layer {name} missing (different architecture?)")
        try:
            layer.set_weights(layers[name].get_weights())
        except ValueError as exc:
            raise ConfigError(f"{ensemble_path}: layer {name} does not fit ({exc})") from exc
    return True


def train_ensemble(
    cfg: TrainConfig,
    train_x: np.ndarray,
    train_y: np.ndarray,
    val_x: np.ndarray,
    val_y: np.ndarray,
    run_dir: Path,
    *,
    resume: bool = False,
    sample_weights: np.ndarray | None = None,
) -> tuple[keras.Model, dict]:
    """Train every member in sequence (``resume``: go on where an interrupted run stopped), combine them, and
    return (ensemble, training summary)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for i, spec in enumerate(cfg.members):
        log(f"member {i + 1} of {len(cfg.members)}")
        results.append(train_member(spec, i, cfg, train_x, train_y, val_x, val_y, run_dir, resume=resume, sample_weights=sample_weights))
        (run_dir / "training_history.json").write_text(json.dumps(_summary(cfg, results), indent=2))
    ensemble = build_ensemble(
        [r.model for r in results],
        cfg.members,
        cfg.image_size,
        tta_transpose=cfg.tta_transpose,
        tta_flips=cfg.tta_flips,
        dead_channel_var=cfg.dead_channel_var,
    )
    summary = _summary(cfg, results)
    probs = predict_probs(ensemble, val_x)
    summary["ensemble_val_balanced_accuracy"] = balanced_accuracy(val_y, probs.argmax(axis=1))
    log(f"ensemble of {len(results)}: val_bacc {summary['ensemble_val_balanced_accuracy']:.4f}")
    (run_dir / "training_history.json").write_text(json.dumps(summary, indent=2))
    return ensemble, summary


def _summary(cfg: TrainConfig, results: list[MemberResult]) -> dict:
    return {
        "members": [
            {
                "spec": cfg.to_dict()["members"][i],
                "best_epoch": r.best_epoch,
                "best_val_balanced_accuracy": r.best_balanced_accuracy,
                "train_minutes": round(r.seconds / 60, 2),
                **({"swa": r.swa} if r.swa else {}),
                "history": r.history,
            }
            for i, r in enumerate(results)
        ],
        "train_minutes_total": round(sum(r.seconds for r in results) / 60, 2),
    }


def save_h5(model: keras.Model, path: Path) -> None:
    """Save the ensemble as legacy HDF5 without optimizer state (loads with plain load_model)."""
    model.save(path, include_optimizer=False)
