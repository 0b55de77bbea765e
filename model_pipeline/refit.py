"""Refit the ensemble's classification heads on more varied data, with the backbones frozen.

The backbones of the committed model were trained and quantisation-aware fine-tuned on HAM10000 only; on
images from another source (the ISIC archive) it calls 1 melanoma in 10 a melanoma. Retraining the last
layer on features of more varied data is a known, cheap way to make a classifier hold up under a shift of
source (Kirichenko et al. 2022, "Last layer re-training is sufficient for robustness to spurious
correlations"): each member's ``m<i>_probs`` head (``Dense`` + softmax on the pooled features ``m<i>_gap``)
is fitted again by class-weighted, label-smoothed cross-entropy with an L2 pull towards its current weights,
on the run's training images plus

* HAM10000 images the run's split does not list, unless their lesion validates (kept out, so the split
  stays fair to older bundles), and
* the trainable half of each ``--extra`` dataset (``external_holdout(...).train``; the other half stays
  held out for judging).

The pull strength is chosen on a lesion-level inner hold-out of that training data (never on the run's
validation split). The backbone, the input size and every other layer stay as they were, so the int8
quantisation of the backbone keeps its calibration. Classes are balanced within each source, so a source's class
mix cannot become evidence. Measured on r20 (docs/training.md): it does not make the model transfer; the
step stays for measuring that on later backbones.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lesion_contract.labels import LABELS
from model_pipeline.data.ham10000 import Dataset, Record
from model_pipeline.data.split import Split, external_holdout
from model_pipeline.errors import ConfigError, DatasetError
from model_pipeline.metrics import balanced_accuracy
from model_pipeline.progress import log, progress

PULLS = (3.0, 30.0, 300.0, 3000.0)  # L2 strength towards the current head (divided by the number of images)


@dataclass(frozen=True)
class RefitData:
    records: tuple[Record, ...]
    summary: dict


def refit_records(ham: Dataset, split: Split, extras: list[Dataset]) -> RefitData:
    """The images the heads are refitted on (see the module docstring) and counts of where they came from."""
    listed = {r.image_id for r in split.train} | {r.image_id for r in split.val}
    val_lesions = {r.lesion_id for r in split.val}
    unlisted = [r for r in ham.records if r.image_id not in listed]
    added = [r for r in unlisted if r.lesion_id not in val_lesions]
    records = list(split.train) + added
    summary: dict = {
        "split_train_images": len(split.train),
        "added_ham_images": len(added),
        "skipped_images_of_validation_lesions": len(unlisted) - len(added),
        "extra": {},
    }
    for extra in extras:
        part = external_holdout(extra).train
        records += part
        summary["extra"][extra.root.name] = {"trained_on": len(part), "held_out": len(external_holdout(extra).val)}
    return RefitData(tuple(records), summary)


def source_balanced_weights(cfg, y: np.ndarray, sources: np.ndarray, *, cap: float | None = None) -> np.ndarray:
    """Sample weights balanced over classes within each source, each source weighing its share of the images.

    Balancing over the pooled images would let a head learn the sources' class mix: the ISIC archive part
    is 59% melanoma, so "looks like an ISIC archive photo" would become evidence of melanoma (measured:
    92% of that set's benign lesions referred). Within each source every class weighs the same (times the
    config's boosts), so the source says nothing about the class. ``cap``: a sample's weight is cut to ``cap`` times its
    source's mean before the source is renormalised (a class of 1-3 images in a small source would otherwise
    dominate it)."""
    from model_pipeline.train import configured_sample_weights

    weights = np.zeros(len(y), dtype=np.float64)
    for source in np.unique(sources):
        mask = sources == source
        w, _ = configured_sample_weights(cfg, y[mask])
        if cap is not None:
            w = np.minimum(w, cap)
            w = w / w.mean()
        weights[mask] = w  # mean 1 within the source: the source weighs its share of the images
    return (weights / weights.mean()).astype(np.float32)


def member_indices(model) -> list[int]:
    names = {layer.name for layer in model.layers}
    found = [i for i in range(64) if f"m{i}_gap" in names and f"m{i}_probs" in names]
    if not found:
        raise ConfigError("refit-head needs a flat ensemble with m<i>_gap / m<i>_probs layers (no test-time views)")
    return found


def pooled_features(model, images: np.ndarray, *, batch: int = 32, label: str = "features") -> list[np.ndarray]:
    """Each member's pooled features (N, D_i) for uint8 NHWC ``images``."""
    import keras

    members = member_indices(model)
    probe = keras.Model(model.inputs, [model.get_layer(f"m{i}_gap").output for i in members])
    outs: list[list[np.ndarray]] = [[] for _ in members]
    for start in progress(range(0, len(images), batch), math.ceil(len(images) / batch), label):
        got = probe(images[start : start + batch].astype(np.float32), training=False)
        got = got if isinstance(got, (list, tuple)) else [got]
        for k, g in enumerate(got):
            outs[k].append(np.asarray(g, dtype=np.float32))
    return [np.concatenate(o) for o in outs]


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_head(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, w0: np.ndarray, b0: np.ndarray, *, pull: float, smoothing: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted, label-smoothed softmax regression on features ``x`` with ``pull * ||W - W0||^2`` (L-BFGS)."""
    from scipy.optimize import minimize

    n, d = x.shape
    k = len(LABELS)
    target = np.full((n, k), smoothing / k)
    target[np.arange(n), y] += 1.0 - smoothing
    sw = weights / weights.sum()

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: d * k].reshape(d, k)
        b = theta[d * k :]
        p = _softmax(x @ w + b)
        ce = -float(np.sum(sw[:, None] * target * np.log(np.clip(p, 1e-12, None))))
        g = sw[:, None] * (p - target)
        gw = x.T @ g + 2 * pull / n * (w - w0)
        gb = g.sum(axis=0)
        reg = pull / n * float(np.sum((w - w0) ** 2))
        return ce + reg, np.concatenate([gw.ravel(), gb])

    theta0 = np.concatenate([w0.ravel(), b0]).astype(np.float64)
    result = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 500})
    theta = result.x
    return theta[: d * k].reshape(d, k).astype(np.float32), theta[d * k :].astype(np.float32)


def ensemble_probs(features: list[np.ndarray], heads: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    return np.mean([_softmax(f @ w + b) for f, (w, b) in zip(features, heads, strict=True)], axis=0)


def choose_pull(
    features: list[np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    lesions: list[str],
    heads0: list[tuple[np.ndarray, np.ndarray]],
    *,
    fresh: np.ndarray | None = None,
    seed: int = 7,
) -> tuple[float, dict]:
    """The pull with the best balanced accuracy on a lesion-level, class-stratified 20% inner hold-out.

    ``fresh`` marks the images the backbones never trained on: the hold-out is drawn from their lesions only,
    since features of images the backbone was fitted to look easier than a new clinic's."""
    by_lesion: dict[str, list[int]] = {}
    for i, lesion in enumerate(lesions):
        by_lesion.setdefault(lesion, []).append(i)
    rng = np.random.default_rng(seed)
    held: set[int] = set()
    for label in range(len(LABELS)):
        ids = sorted({lesions[i] for i in range(len(y)) if y[i] == label and (fresh is None or fresh[i])})
        rng.shuffle(ids)
        for lesion in ids[: max(1, round(0.2 * len(ids)))] if len(ids) > 1 else []:
            held.update(by_lesion[lesion])
    mask = np.zeros(len(y), bool)
    mask[list(held)] = True
    scores = {"current heads": balanced_accuracy(y[mask], ensemble_probs([f[mask] for f in features], heads0).argmax(1))}
    best, best_score = PULLS[0], -1.0
    for pull in PULLS:
        heads = [fit_head(f[~mask], y[~mask], weights[~mask], w0, b0, pull=pull) for f, (w0, b0) in zip(features, heads0, strict=True)]
        score = balanced_accuracy(y[mask], ensemble_probs([f[mask] for f in features], heads).argmax(1))
        scores[f"pull {pull:g}"] = score
        log(f"refit-head: pull {pull:g}: inner hold-out balanced accuracy {score:.4f}")
        if score > best_score:
            best, best_score = pull, score
    return best, {"inner_holdout_images": int(mask.sum()), "balanced_accuracy": scores}


def refit_heads(
    model,
    features: list[np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    lesions: list[str],
    *,
    pull: float | None = None,
    fresh: np.ndarray | None = None,
) -> tuple[object, dict]:
    """``model`` with every member head refitted (chosen pull, or ``pull``); returns (model, record)."""
    members = member_indices(model)
    if len(members) != len(features):
        raise DatasetError(f"{len(features)} feature sets for {len(members)} members")
    heads0 = [tuple(np.asarray(v, np.float64) for v in model.get_layer(f"m{i}_probs").get_weights()) for i in members]
    record: dict = {}
    if pull is None:
        pull, record["selection"] = choose_pull(features, y, weights, lesions, heads0, fresh=fresh)  # type: ignore[arg-type]
    heads = [fit_head(f, y, weights, w0, b0, pull=pull) for f, (w0, b0) in zip(features, heads0, strict=True)]
    for i, (w, b) in zip(members, heads, strict=True):
        model.get_layer(f"m{i}_probs").set_weights([w, b])
    record["pull"] = pull
    record["train_balanced_accuracy"] = balanced_accuracy(y, ensemble_probs(features, heads).argmax(1))
    record["weight_change_relative"] = [
        float(np.linalg.norm(w - w0)) / max(float(np.linalg.norm(w0)), 1e-12) for (w, _), (w0, _) in zip(heads, heads0, strict=True)
    ]
    return model, record


def cache_path(run_dir: Path, name: str) -> Path:
    return Path(run_dir) / f"refit-features-{name}.npz"


def refit_run(run_dir: Path, dataset: Dataset, extras: list[Dataset], *, pull: float | None = None) -> dict:
    """The ``refit-head`` step: refit the heads of the run's current model, save the result as a new model file
    and the step in a new config (``refit_head``: data, chosen pull, inner hold-out scores; see ``RunDir``). Features are cached in the run directory (``refit-features-train.npz``), so a
    rerun (e.g. with another ``pull``) does not forward the images again. Run it before ``ood``."""
    import dataclasses
    import json

    import keras

    from model_pipeline.data.cache import load_images
    from model_pipeline.data.split import read_split
    from model_pipeline.pipeline import run_config
    from model_pipeline.rundir import RunDir
    from model_pipeline.train import save_h5

    run_dir = Path(run_dir)
    rd = RunDir(run_dir)
    cfg = run_config(run_dir)
    if cfg.refit_head is not None:
        raise ConfigError(f"{run_dir}: the heads were already refitted; start from a fresh run")
    source = rd.current("model")
    if not source.is_file():
        raise DatasetError(f"{source} not found (run the train, assemble or reexport step first)")
    model = keras.models.load_model(source, compile=False)
    if len(model.outputs) != 1:
        raise ConfigError(f"{source} has {len(model.outputs)} outputs: refit the heads before the ood step")
    split = read_split(run_dir / "split.csv", dataset)
    data = refit_records(dataset, split, extras)
    log(f"refit-head: {len(data.records)} training images: {data.summary}")
    ids = [r.image_id for r in data.records]
    cache = cache_path(run_dir, "train")
    features: list[np.ndarray] | None = None
    if cache.is_file():
        with np.load(cache, allow_pickle=False) as saved:
            if list(saved["image_ids"]) == ids:
                features = [saved[f"m{k}"] for k in range(len(member_indices(model)))]
    if features is None:
        images = load_images(data.records, cfg.image_size, label="decode refit images")
        features = pooled_features(model, images, label="refit-head features")
        tmp = cache.with_name(cache.name + ".tmp.npz")
        arrays: dict[str, np.ndarray] = {"image_ids": np.array(ids), **{f"m{k}": f for k, f in enumerate(features)}}
        np.savez(tmp, **arrays)  # type: ignore[arg-type]  # numpy stubs type **kwds as allow_pickle
        tmp.replace(cache)
    y = np.array([r.label_index for r in data.records], dtype=np.int64)
    extra_ids = {r.image_id: extra.root.name for extra in extras for r in extra.records}
    sources = np.array([extra_ids.get(r.image_id, "ham") for r in data.records])
    weights = source_balanced_weights(cfg, y, sources)
    trained = {r.image_id for r in split.train}
    fresh = np.array([r.image_id not in trained for r in data.records])
    model, record = refit_heads(model, features, y, weights, [r.lesion_id for r in data.records], pull=pull, fresh=fresh)
    record["data"] = data.summary
    out_model, out_config = rd.new("model", "refit-head"), rd.new("config", "refit-head")
    save_h5(model, out_model)
    out_config.write_text(json.dumps(dataclasses.replace(cfg, refit_head=record).to_dict(), indent=2))
    log(
        f"refit-head: pull {record['pull']:g}, heads moved {record['weight_change_relative']} (relative); saved {out_model.name}, {source.name} unchanged"
    )
    return record
