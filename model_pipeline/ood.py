"""Out-of-distribution ("cannot assess"): the model's second output, candidate scores, the non-lesion sets
they are measured on, and the rule that goes into the bundle.

A photo that is not a lesion (an object, noise, a blurred, badly exposed or corner crop of skin) must not
come back as a confident "nevus, low risk". The ensemble's members are read at their pooled features
(``m<i>_gap``) and their logits (the ``m<i>_probs`` head without its softmax); scores computed from them
(higher = further from the training lesions):

* ``msp``: 1 - the ensemble's top probability (max-softmax; needs nothing new);
* ``energy``: -logsumexp of the members' mean logits;
* ``maxlogit``: -max of the members' mean logits;
* ``mahalanobis``: the squared Mahalanobis distance of the concatenated pooled features to the nearest
  class mean, with one covariance shared by the classes (within-class, from the training lesions),
  restricted to its top ``dim`` principal directions. The whitening projection is a frozen ``Dense``
  inside the exported model (``ood_features``), so the phone and the server read whitened features and
  the rule only needs the class means: ``score = min_k sum_j (z_j - mean_kj)^2``.

The threshold is a quantile of the validation lesions' scores (the non-lesion sets never choose it), one
per model variant (``variant_thresholds``: the int8 model's scores run lower than the .h5's) and the
largest of them as the shared ``threshold`` (apps that read only that one).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lesion_contract.labels import LABELS
from lesion_contract.ood import MAHALANOBIS, MSP, OOD_VARIANTS, OodRule, ood_scores
from model_pipeline.errors import ConfigError, DatasetError
from model_pipeline.progress import log, progress

FEATURES_OUTPUT = "ood_features"
CANDIDATE_DIMS = (64, 128, 256, 512)
MAX_LESION_REFUSAL = 0.05
TARGET_NON_LESION_REFUSAL = 0.90  # issue 23: >= 90% of the non-lesion images refused at <= 5% of validation lesions


# -- reading the model --


def member_indices(model) -> list[int]:
    """Member indices of a flat ensemble (``m<i>_gap`` + ``m<i>_probs`` layers); ConfigError otherwise."""
    names = {layer.name for layer in model.layers}
    found = [i for i in range(64) if f"m{i}_gap" in names and f"m{i}_probs" in names]
    if not found:
        raise ConfigError(
            "the model has no m<i>_gap / m<i>_probs layers: out-of-distribution features need a flat ensemble "
            "(no test-time-augmentation views, one input size)"
        )
    return found


def probe_model(model):
    """``model`` with three outputs: the ensemble's probabilities, the concatenated pooled features
    (N, sum of member widths) and the members' logits (N, members, 7). Same weights, nothing retrained."""
    import keras
    from keras import layers

    pooled, logits = [], []
    for i in member_indices(model):
        gap = model.get_layer(f"m{i}_gap").output
        head = model.get_layer(f"m{i}_probs")
        dense = layers.Dense(len(LABELS), name=f"ood_m{i}_logits")
        logits.append(layers.Reshape((1, len(LABELS)), name=f"ood_m{i}_logits_row")(dense(gap)))
        dense.set_weights(head.get_weights())
        pooled.append(gap)
    pooled_out = pooled[0] if len(pooled) == 1 else layers.Concatenate(name="ood_pooled")(pooled)
    logits_out = logits[0] if len(logits) == 1 else layers.Concatenate(axis=1, name="ood_logits")(logits)
    return keras.Model(model.inputs, [model.outputs[0], pooled_out, logits_out], name="ood_probe")


def with_ood_output(model, projection: np.ndarray, bias: np.ndarray):
    """The exported model: ``model``'s probabilities plus a second output ``ood_features``, the whitened
    projection ``pooled @ projection + bias`` of the concatenated pooled features (a frozen ``Dense``;
    built-in layers only, so the ``.h5`` still loads with ``keras.models.load_model``)."""
    import keras
    from keras import layers

    pooled = [model.get_layer(f"m{i}_gap").output for i in member_indices(model)]
    x = pooled[0] if len(pooled) == 1 else layers.Concatenate(name="ood_pooled")(pooled)
    if projection.shape[0] != int(x.shape[-1]) or bias.shape != (projection.shape[1],):
        raise ConfigError(f"projection {projection.shape} / bias {bias.shape} do not fit pooled features of width {x.shape[-1]}")
    if projection.shape[1] == len(LABELS):
        raise ConfigError(f"ood_features must not have {len(LABELS)} values (the app tells the outputs apart by length)")
    dense = layers.Dense(projection.shape[1], trainable=False, name=FEATURES_OUTPUT)
    z = dense(x)
    dense.set_weights([projection.astype(np.float32), bias.astype(np.float32)])
    return keras.Model(model.inputs, [model.outputs[0], z], name=f"{model.name}_ood")


def h5_outputs(model, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """A Keras model's probabilities and ``ood_features`` (None for a one-output model) for a uint8 batch."""
    out = model(np.asarray(batch).astype(np.float32), training=False)
    if isinstance(out, (list, tuple)):
        return np.asarray(out[0], dtype=np.float32), np.asarray(out[1], dtype=np.float64) if len(out) > 1 else None
    return np.asarray(out, dtype=np.float32), None


@dataclass
class Probe:
    probs: np.ndarray  # (N, 7)
    pooled: np.ndarray  # (N, D)
    logits: np.ndarray  # (N, members, 7)


def run_probe(probe, images: np.ndarray, *, batch: int = 32, label: str = "features") -> Probe:
    """The probe model's outputs for uint8 NHWC ``images`` (in batches)."""
    outs: list[list[np.ndarray]] = [[], [], []]
    starts = range(0, len(images), batch)
    for i in progress(starts, math.ceil(len(images) / batch), label):
        got = probe(images[i : i + batch].astype(np.float32), training=False)
        for k in range(3):
            outs[k].append(np.asarray(got[k], dtype=np.float32))
    if not len(images):
        raise DatasetError(f"{label}: no images")
    return Probe(*(np.concatenate(o) for o in outs))


# -- candidate scores (higher = more out of distribution) --


def msp(probs: np.ndarray) -> np.ndarray:
    return 1.0 - probs.max(axis=1)


def energy(logits: np.ndarray) -> np.ndarray:
    mean = logits.mean(axis=1)
    top = mean.max(axis=1, keepdims=True)
    return -(top[:, 0] + np.log(np.exp(mean - top).sum(axis=1)))


def maxlogit(logits: np.ndarray) -> np.ndarray:
    return -logits.mean(axis=1).max(axis=1)


@dataclass(frozen=True)
class Whitening:
    """Projection of pooled features onto the top ``dim`` principal directions of the within-class
    covariance, scaled to unit variance: ``z = pooled @ projection + bias``; class means in z-space."""

    projection: np.ndarray  # (D, dim)
    bias: np.ndarray  # (dim,)
    means: np.ndarray  # (7, dim)
    explained: float  # share of the within-class variance the kept directions hold

    def transform(self, pooled: np.ndarray) -> np.ndarray:
        return pooled.astype(np.float64) @ self.projection + self.bias

    def score(self, pooled: np.ndarray) -> np.ndarray:
        return mahalanobis_min(self.transform(pooled), self.means)


def mahalanobis_min(z: np.ndarray, means: np.ndarray) -> np.ndarray:
    """min over classes of the squared distance (z already whitened)."""
    d = ((z[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    return d.min(axis=1)


def fit_whitening(pooled: np.ndarray, labels: np.ndarray, dim: int, *, directions: str = "low") -> Whitening:
    """Class means and the shared (within-class) covariance of training lesions' pooled features, whitened
    in ``dim`` principal directions: the lowest-variance ones (``directions="low"``, where photos that are
    not lesions stand out: measured on r20, see docs/training.md) or the highest-variance ones ("top")."""
    return fit_whitenings(pooled, labels, (dim,), directions=directions)[dim]


def fit_whitenings(pooled: np.ndarray, labels: np.ndarray, dims: tuple[int, ...], *, directions: str = "low") -> dict[int, Whitening]:
    """``fit_whitening`` for several dimensions from one eigendecomposition."""
    if directions not in ("low", "top"):
        raise ConfigError(f"directions must be 'low' or 'top', got {directions!r}")
    x = pooled.astype(np.float64)
    present = [k for k in range(len(LABELS)) if (labels == k).any()]
    if len(present) < 2:
        raise DatasetError("fitting the Mahalanobis score needs training lesions of at least two classes")
    class_means = np.stack([x[labels == k].mean(axis=0) if (labels == k).any() else x.mean(axis=0) for k in range(len(LABELS))])
    centred = x - class_means[labels]
    cov = centred.T @ centred / max(len(x) - len(present), 1)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    centre = x.mean(axis=0)
    # directions whose variance is numerically zero (dead channels) whiten to noise: never kept
    usable = int((values > 1e-6 * max(float(values[0]), 1e-12)).sum())
    fits = {}
    for requested in dims:
        dim = min(requested, usable)
        pick = slice(0, dim) if directions == "top" else slice(usable - dim, usable)
        projection = vectors[:, pick] / np.sqrt(values[pick])[None, :]
        bias = -centre @ projection
        means = class_means @ projection + bias
        explained = float(values[pick].sum() / max(values.sum(), 1e-12))
        fits[requested] = Whitening(projection, bias, means, explained)
    return fits


# -- the non-lesion sets (nothing downloaded) --


def _square(image, size: int) -> np.ndarray:
    from PIL import Image

    image = image.convert("RGB")
    w, h = image.size
    side = min(w, h)
    image = image.crop(((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side))
    return np.asarray(image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=None), dtype=np.uint8)


def _package_sources() -> list[tuple[str, object]]:
    """Images shipped inside installed packages: (name, PIL image)."""
    import gzip
    import importlib.util

    from PIL import Image

    found: list[tuple[str, object]] = []
    roots: list[Path] = []
    for module in ("matplotlib", "sklearn", "scipy", "PIL", "skimage", "django", "locust", "keras"):
        spec = importlib.util.find_spec(module)
        if spec is not None and spec.submodule_search_locations:
            roots.extend(Path(p) for p in spec.submodule_search_locations)
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp") or not path.is_file():
                continue
            try:
                with Image.open(path) as im:
                    im.load()
                    if min(im.size) < 24:
                        continue
                    found.append((f"{root.name}/{path.relative_to(root)}", im.convert("RGB")))
            except (OSError, ValueError, SyntaxError):
                continue
    # matplotlib's sample arrays, rendered as pictures (elevation maps, an MRI slice)
    import matplotlib

    sample = Path(matplotlib.get_data_path()) / "sample_data"
    cmaps = ("viridis", "terrain", "gray", "magma")
    for i, name in enumerate(("topobathy.npz", "jacksboro_fault_dem.npz")):
        path = sample / name
        if path.is_file():
            with np.load(path) as z:
                arr = np.asarray(z[z.files[0]], dtype=np.float64)
            found.append((f"matplotlib/{name}", _colormap(arr, cmaps[i % len(cmaps)])))
    mri = sample / "s1045.ima.gz"
    if mri.is_file():
        with gzip.open(mri) as handle:
            raw = np.frombuffer(handle.read(), np.uint16)
        if raw.size == 256 * 256:
            found.append(("matplotlib/s1045.ima.gz", _colormap(raw.reshape(256, 256).astype(np.float64), "gray")))
    return found


def _colormap(arr: np.ndarray, cmap: str):
    import matplotlib
    from PIL import Image

    lo, hi = np.nanpercentile(arr, [1, 99])
    norm = np.clip((np.nan_to_num(arr, nan=lo) - lo) / max(hi - lo, 1e-9), 0, 1)
    rgb = (matplotlib.colormaps[cmap](norm)[..., :3] * 255).astype(np.uint8)
    return Image.fromarray(rgb)


def package_images(size: int, rng: np.random.Generator, crops: int = 4) -> np.ndarray:
    """Each package image centre-cropped, plus ``crops`` random square crops of the larger ones."""
    out = []
    for _name, image in _package_sources():
        out.append(_square(image, size))
        w, h = image.size  # type: ignore[attr-defined]
        if min(w, h) >= 2 * 64:
            for _ in range(crops):
                side = int(rng.integers(min(w, h) // 4, min(w, h) // 2 + 1))
                x0, y0 = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
                out.append(_square(image.crop((x0, y0, x0 + side, y0 + side)), size))  # type: ignore[attr-defined]
    return np.stack(out) if out else np.zeros((0, size, size, 3), np.uint8)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int, colour: bool) -> np.ndarray:
    from PIL import Image

    low = rng.random((cells, cells, 3 if colour else 1))
    low = np.repeat(low, 3, axis=2) if not colour else low
    return np.asarray(Image.fromarray((low * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC), dtype=np.uint8)


def textures(size: int, rng: np.random.Generator, n: int = 140) -> np.ndarray:
    """Procedural textures: solid colours, gradients, checkerboards, stripes, plaids, smooth noise, blocks."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / size
    out = []
    kinds = ("solid", "gradient", "radial", "checker", "stripes", "plaid", "clouds", "blocks")
    for i in range(n):
        kind = kinds[i % len(kinds)]
        c1, c2 = rng.random(3), rng.random(3)
        if kind == "solid":
            img = np.broadcast_to(c1, (size, size, 3)).copy()
        elif kind == "gradient":
            t = np.cos(rng.random() * np.pi) * xx + np.sin(rng.random() * np.pi) * yy
            t = (t - t.min()) / max(np.ptp(t), 1e-9)
            img = c1 * (1 - t[..., None]) + c2 * t[..., None]
        elif kind == "radial":
            t = np.clip(np.hypot(xx - rng.random(), yy - rng.random()) * 1.5, 0, 1)
            img = c1 * (1 - t[..., None]) + c2 * t[..., None]
        elif kind == "checker":
            k = int(rng.integers(2, 24))
            t = ((np.floor(xx * k) + np.floor(yy * k)) % 2)[..., None]
            img = c1 * (1 - t) + c2 * t
        elif kind == "stripes":
            a, f = rng.random() * np.pi, rng.uniform(3, 30)
            t = (0.5 + 0.5 * np.sin(2 * np.pi * f * (np.cos(a) * xx + np.sin(a) * yy)))[..., None]
            img = c1 * (1 - t) + c2 * t
        elif kind == "plaid":
            f1, f2 = rng.uniform(2, 20), rng.uniform(2, 20)
            t = (0.25 * (2 + np.sin(2 * np.pi * f1 * xx) + np.sin(2 * np.pi * f2 * yy)))[..., None]
            img = c1 * (1 - t) + c2 * t
        elif kind == "clouds":
            img = _smooth_noise(rng, size, int(rng.integers(3, 24)), colour=bool(rng.integers(0, 2))) / 255.0
        else:
            k = int(rng.integers(3, 10))
            img = np.asarray(_smooth_noise(rng, k, k, True), np.float64) / 255.0
            img = np.repeat(np.repeat(img, math.ceil(size / k), axis=0), math.ceil(size / k), axis=1)[:size, :size]
        out.append(np.clip(img * 255, 0, 255).astype(np.uint8))
    return np.stack(out)


def noise(size: int, rng: np.random.Generator, n: int = 60) -> np.ndarray:
    """Uniform colour noise, uniform grey noise, Gaussian noise around a random colour, salt and pepper."""
    out = []
    for i in range(n):
        kind = i % 4
        img: np.ndarray
        if kind == 0:
            img = rng.integers(0, 256, (size, size, 3))
        elif kind == 1:
            img = np.repeat(rng.integers(0, 256, (size, size, 1)), 3, axis=2)
        elif kind == 2:
            img = rng.normal(rng.uniform(40, 215, 3), rng.uniform(10, 60), (size, size, 3))
        else:
            img = np.where(rng.random((size, size, 1)) < 0.5, 0, 255) * np.ones(3)
            img = np.where(rng.random((size, size, 1)) < 0.6, rng.uniform(60, 200, 3), img)
        out.append(np.clip(img, 0, 255).astype(np.uint8))
    return np.stack(out)


def degraded_skin(images: np.ndarray, paths: list[Path], size: int, rng: np.random.Generator, n: int = 100) -> dict[str, np.ndarray]:
    """From lesion photos: heavily blurred, over-exposed, under-exposed, and corner crops of the original."""
    from PIL import Image, ImageFilter

    from lesion_contract.preprocess import preprocess_image

    pick = rng.choice(len(images), size=min(n, len(images)), replace=False)
    blurred, over, under, corner = [], [], [], []
    for j, idx in enumerate(pick):
        img = Image.fromarray(images[idx])
        blurred.append(np.asarray(img.filter(ImageFilter.GaussianBlur(size * rng.uniform(0.05, 0.1))), np.uint8))
        x = images[idx].astype(np.float64)
        over.append(np.clip(x * rng.uniform(2.5, 4.0) + rng.uniform(30, 80), 0, 255).astype(np.uint8))
        under.append(np.clip(x * rng.uniform(0.08, 0.2), 0, 255).astype(np.uint8))
        with Image.open(paths[idx]) as original:
            src = original.convert("RGB")
        w, h = src.size
        side = max(8, min(w, h) // 4)
        x0 = 0 if j % 2 == 0 else w - side
        y0 = 0 if (j // 2) % 2 == 0 else h - side
        corner.append(preprocess_image(src.crop((x0, y0, x0 + side, y0 + side)), size))
    return {
        "skin_blurred": np.stack(blurred),
        "skin_overexposed": np.stack(over),
        "skin_underexposed": np.stack(under),
        "skin_corner_crop": np.stack(corner),
    }


def non_lesion_sets(val_x: np.ndarray, val_paths: list[Path], size: int, *, seed: int = 0) -> dict[str, np.ndarray]:
    """Every non-lesion family, deterministic for ``seed``."""
    rng = np.random.default_rng(seed)
    sets = {"package_images": package_images(size, rng), "textures": textures(size, rng), "noise": noise(size, rng)}
    sets.update(degraded_skin(val_x, val_paths, size, rng))
    return {k: v for k, v in sets.items() if len(v)}


# -- measuring and choosing --


def auroc(inside: np.ndarray, outside: np.ndarray) -> float:
    """P(score of an outside image > score of an inside one), ties counted half."""
    if not len(inside) or not len(outside):
        return float("nan")
    allv = np.concatenate([inside, outside])
    ranks = np.argsort(np.argsort(allv, kind="mergesort"), kind="mergesort").astype(np.float64) + 1
    # average ranks over ties
    _, inv, counts = np.unique(allv, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    ranks = (sums / counts)[inv]
    r_out = ranks[len(inside) :].sum()
    return float((r_out - len(outside) * (len(outside) + 1) / 2) / (len(inside) * len(outside)))


def threshold_for(lesion_scores: np.ndarray, max_refusal: float = MAX_LESION_REFUSAL) -> float:
    """The smallest threshold at which at most ``max_refusal`` of ``lesion_scores`` are above it (refused)."""
    s = np.sort(lesion_scores)
    keep = math.ceil((1.0 - max_refusal) * len(s))
    return float(s[max(keep - 1, 0)])


def refusal(scores: np.ndarray, threshold: float) -> float:
    return float((scores > threshold).mean()) if len(scores) else float("nan")


def candidate_table(
    scores: dict[str, dict[str, np.ndarray]], *, lesion_set: str = "val_lesions", max_refusal: float = MAX_LESION_REFUSAL
) -> dict[str, dict]:
    """For each candidate score: its threshold (from ``lesion_set``), the refusal rate and AUROC per set."""
    table = {}
    for name, by_set in scores.items():
        threshold = threshold_for(by_set[lesion_set], max_refusal)
        out_sets = [k for k in by_set if not k.endswith("lesions")]
        rates = {k: refusal(v, threshold) for k, v in by_set.items()}
        non = np.concatenate([by_set[k] for k in out_sets])
        table[name] = {
            "threshold": threshold,
            "refusal": rates,
            "auroc": {k: auroc(by_set[lesion_set], by_set[k]) for k in out_sets},
            "non_lesion_refusal": refusal(non, threshold),
            "non_lesion_family_mean": float(np.mean([rates[k] for k in out_sets])),
        }
    return table


def _output_size(name: str) -> int:
    """Values the candidate adds to the model's output (msp: none; mahalanobis_<dirs><dim>: dim)."""
    digits = "".join(ch for ch in name.rsplit("_", 1)[-1] if ch.isdigit())
    return int(digits) if name.startswith("mahalanobis_") and digits else 0


def choose(table: dict[str, dict], *, tie: float = 0.01, target: float = TARGET_NON_LESION_REFUSAL) -> str:
    """The candidate with the smallest second output (a smaller phone model) among those that meet the target
    (refusing >= ``target`` of all non-lesion images at the lesion threshold); when none does, the one refusing
    most non-lesion images on average over the families (each family counts once), within ``tie`` of the best
    the one with the smallest output."""
    meeting = [k for k, v in table.items() if v["non_lesion_refusal"] >= target]
    if meeting:
        return min(meeting, key=lambda k: (_output_size(k), -table[k]["non_lesion_refusal"]))
    best = max(v["non_lesion_family_mean"] for v in table.values())
    near = [k for k, v in table.items() if v["non_lesion_family_mean"] >= best - tie]
    return min(near, key=lambda k: (_output_size(k), -table[k]["non_lesion_family_mean"]))


def markdown(summary: dict) -> str:
    """The OOD section of a bundle's report."""
    chosen = summary["chosen"]
    table = summary["candidates"]
    sets = list(next(iter(table.values()))["refusal"])
    shared_threshold = summary["rule"]["threshold"]
    own = summary["rule"].get("variant_thresholds")
    above = (
        "the model variant's own threshold (" + ", ".join(f"{v} {t:.6g}" for v, t in own.items()) + f"; shared {shared_threshold:.6g})"
        if own
        else f"{shared_threshold:.4g}"
    )
    lines = [
        "## Cannot assess (out-of-distribution refusal)",
        "",
        f"Rule: `{chosen}` score above {above} -> \"cannot assess: retake the photo or see a clinician\". "
        f"Threshold: the {100 * (1 - summary['max_lesion_refusal']):.0f}th percentile of the validation lesions' scores "
        f"({summary['threshold_variant']}); the non-lesion sets never chose it. Sets: {summary['set_sizes']}.",
        "",
        "Refusal rate per set (threshold from each candidate's own validation-lesion percentile, .h5):",
        "",
        "| score | " + " | ".join(sets) + " | non-lesion (all) |",
        "|---|" + "---|" * (len(sets) + 1),
    ]
    for name, row in table.items():
        mark = " (chosen)" if name == chosen else ""
        lines.append(f"| {name}{mark} | " + " | ".join(f"{row['refusal'][s]:.3f}" for s in sets) + f" | {row['non_lesion_refusal']:.3f} |")
    shared = summary.get("rule_refusal_shared_threshold")
    title = "each variant's own threshold (variant_thresholds)" if own else "the bundle's one threshold"
    lines += _variant_table(
        f"Chosen rule per model variant, {title}:", summary["rule_refusal"], sets, own or dict.fromkeys(summary["rule_refusal"], shared_threshold)
    )
    if own and shared:
        lines += _variant_table(
            f"The same with the shared threshold {shared_threshold:.6g} (what an app that reads only `threshold` applies):",
            shared,
            sets,
            dict.fromkeys(shared, shared_threshold),
        )
    lines.append("")
    return "\n".join(lines)


def _variant_table(title: str, rule_refusal: dict, sets: list[str], thresholds: dict) -> list[str]:
    cols = [*sets, "non_lesion_all"]
    lines = ["", title, "", "| variant | threshold | " + " | ".join(cols) + " |", "|---|---|" + "---|" * len(cols)]
    for variant, rates in rule_refusal.items():
        t = thresholds.get(variant)
        lines.append(
            f"| {variant} | {'' if t is None else f'{t:.6g}'} | " + " | ".join(f"{rates.get(s, float('nan')):.3f}" for s in cols) + " |"
        )
    return lines


def scores_for_rule(rule: OodRule, features: np.ndarray, probs: np.ndarray) -> np.ndarray:
    return np.array([ood_scores(rule, f, p) for f, p in zip(features, probs, strict=True)])


def save_json(path: Path, obj: dict) -> None:
    path.write_text(json.dumps(obj, indent=2, default=float))


def variant_outputs(model, images: np.ndarray, label: str) -> tuple[np.ndarray, np.ndarray | None]:
    """(probabilities, float ood_features or None) of a Keras model (batched) or a ``TFLiteModel`` (one by one)."""
    if hasattr(model, "predict_with_features"):
        outs = [model.predict_with_features(image) for image in progress(images, len(images), label)]
        feats = [f for _, f in outs]
        probs = np.stack([p for p, _ in outs]) if outs else np.zeros((0, len(LABELS)), np.float32)
        return probs, (None if not outs or feats[0] is None else np.stack(feats))  # type: ignore[arg-type]
    probs_parts, feat_parts = [], []
    for i in progress(range(0, len(images), 32), math.ceil(len(images) / 32), label):
        p, f = h5_outputs(model, images[i : i + 32])
        probs_parts.append(p)
        if f is not None:
            feat_parts.append(f)
    probs = np.concatenate(probs_parts)
    return probs, (np.concatenate(feat_parts) if feat_parts else None)


def rule_scores(rule: dict, probs: np.ndarray, feats: np.ndarray | None) -> np.ndarray:
    """The rule's score for each row (vectorised; the contract's ``ood_score`` is the reference)."""
    if rule["score"] == MSP:
        return msp(probs)
    if feats is None:
        raise ConfigError("the mahalanobis rule needs the model's ood_features output (run the ood step before convert)")
    return mahalanobis_min(feats, np.asarray(rule["means"], dtype=np.float64))


def _round_up(threshold: float, digits: int = 6) -> float:
    """``threshold`` to ``digits`` decimals, never below it (a score equal to the percentile stays assessed)."""
    rounded = round(threshold, digits)
    return rounded if rounded >= threshold else round(rounded + 10.0**-digits, digits)


def evaluate_ood(rule: dict, predictors: dict, val_outputs: dict, sets: dict[str, np.ndarray], summary: dict) -> dict:
    """Fix each variant's threshold (its own percentile: it refuses at most the target share of validation
    lesions) and the shared one (the largest of them, for apps that only read ``threshold``), and measure
    every variant's refusal on each set under both. Returns the report's ``ood`` block; its rule carries
    ``variant_thresholds`` and ``rule_refusal`` is measured with each variant's own threshold."""
    max_refusal = float(summary.get("max_lesion_refusal", MAX_LESION_REFUSAL))
    scores: dict[str, dict[str, np.ndarray]] = {}
    for variant, model in predictors.items():
        p, f = val_outputs[variant]
        scores[variant] = {"val_lesions": rule_scores(rule, p, f)}
        for name, images in sets.items():
            p, f = variant_outputs(model, images, f"ood {variant} {name}")
            scores[variant][name] = rule_scores(rule, p, f)
    unknown = sorted(set(scores) - set(OOD_VARIANTS))
    if unknown:
        raise ConfigError(f"ood: no threshold for model variant(s) {unknown}; the rule knows {list(OOD_VARIANTS)}")
    # rounded (up: never refusing a lesion the percentile keeps) as the manifest stores them, so the refusal
    # rates below are those of the thresholds the server and the app apply
    per_variant = {v: _round_up(threshold_for(s["val_lesions"], max_refusal)) for v, s in scores.items()}
    threshold = max(per_variant.values())
    final = dict(rule, threshold=threshold, variant_thresholds=per_variant)
    int8 = predictors.get("int8")
    if rule["score"] == MAHALANOBIS and int8 is not None and int8.features_quantization is not None:
        scale, zero_point = int8.features_quantization
        final["int8_quantization"] = {"scale": scale, "zero_point": zero_point}
    non = [name for name in next(iter(scores.values())) if not name.endswith("lesions")]

    def rates_at(thresholds: dict[str, float]) -> dict[str, dict[str, float]]:
        rates = {v: {name: refusal(x, thresholds[v]) for name, x in s.items()} for v, s in scores.items()}
        for v in rates:
            rates[v]["non_lesion_all"] = refusal(np.concatenate([scores[v][n] for n in non]), thresholds[v]) if non else float("nan")
        return rates

    final["rule"] = (
        f"cannot assess when the {rule['score']} score is above the model variant's threshold (variant_thresholds): "
        f"the {100 * (1 - max_refusal):.0f}th percentile of its validation lesions' scores; threshold: the largest of "
        "them, for apps that read only threshold"
    )
    return {
        "rule": final,
        "chosen": summary.get("chosen", rule["score"]),
        "candidates": summary.get("candidates", {}),
        "explained_variance": summary.get("explained_variance", {}),
        "max_lesion_refusal": max_refusal,
        "threshold_variant": f"each variant its own (variant_thresholds {per_variant}); threshold: the largest of them",
        "set_sizes": {"val_lesions": len(next(iter(val_outputs.values()))[0]), **{k: len(v) for k, v in sets.items()}},
        "rule_refusal": rates_at(per_variant),
        "rule_refusal_shared_threshold": rates_at(dict.fromkeys(per_variant, threshold)),
    }


def evaluation_sets(summary: dict, val_x: np.ndarray, val_paths: list[Path], size: int) -> dict[str, np.ndarray]:
    """The sets the ood step measured (extra lesion folders + the non-lesion families, same seed), for evaluate."""
    from model_pipeline.data.cache import load_images
    from model_pipeline.data.ham10000 import read_ham10000

    sets = {}
    for name, root in (summary.get("extra_lesions") or {}).items():
        if Path(root).is_dir():
            sets[f"{name}_lesions"] = load_images(read_ham10000(root, require_all_classes=False).records, size, label=f"decode {name}")
        else:
            log(f"ood: extra lesion set {name} ({root}) not found here: not measured")
    sets.update(non_lesion_sets(val_x, val_paths, size, seed=int(summary.get("seed", 0))))
    return sets


# -- the pipeline step --


def _cached_probe(probe, images: np.ndarray, path: Path, label: str) -> Probe:
    """Probe outputs, cached in ``path`` (an .npz keyed by the images' bytes) so a rerun skips the model."""
    import hashlib

    key = hashlib.sha256(images.tobytes()).hexdigest()[:16]
    if path.is_file():
        with np.load(path) as z:
            if str(z["key"]) == key:
                return Probe(z["probs"], z["pooled"], z["logits"])
    out = run_probe(probe, images, label=label)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, key=key, probs=out.probs, pooled=out.pooled, logits=out.logits)
    tmp.replace(path)
    return out


def lesion_sets(run_dir: Path, dataset, extra: dict[str, Path], size: int):
    """(train x, train y, val x, val paths, {name: images}) of the run's split plus extra lesion sets."""
    from model_pipeline.data.cache import load_images
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.data.split import read_split

    split_file = Path(run_dir) / "split.csv"
    if not split_file.is_file():
        raise DatasetError(f"{split_file} not found (run the train or reexport step first)")
    split = read_split(split_file, dataset)
    train_x = load_images(split.train, size, label="decode train")
    val_x = load_images(split.val, size, label="decode val")
    train_y = np.array([r.label_index for r in split.train], dtype=np.int64)
    others = {}
    for name, root in extra.items():
        other = read_ham10000(root, require_all_classes=False)
        others[name] = load_images(other.records, size, label=f"decode {name}")
    return train_x, train_y, val_x, [r.path for r in split.val], others


def ood_fit_run(
    run_dir: Path,
    dataset,
    *,
    extra_lesions: dict[str, Path] | None = None,
    dims: tuple[int, ...] = CANDIDATE_DIMS,
    max_lesion_refusal: float = MAX_LESION_REFUSAL,
    seed: int = 0,
    score: str = "auto",
) -> dict:
    """Measure the candidate scores on the run's model and give ``model.h5`` the chosen second output.

    Probes the run's current model (the newest before any ood step, so the step can be run again) on the training lesions (class means and
    shared covariance), the validation lesions (threshold), ``extra_lesions`` (named folders in HAM10000
    layout, reported only) and the non-lesion sets; writes ``ood.json`` (the rule, the measurements) and
    ``ood.md``, and a new model file with the ``ood_features`` output (``RunDir``). ``convert`` / ``evaluate`` / ``bundle``
    then carry it into the bundle (the evaluate step fixes the threshold over all three variants).
    ``score``: "auto" (the candidate refusing most non-lesion images per family), or force "msp" / "mahalanobis".
    """
    import keras

    from model_pipeline.rundir import RunDir
    from model_pipeline.train import save_h5

    run_dir = Path(run_dir)
    rd = RunDir(run_dir)
    cfg = json.loads(rd.current("config").read_text())
    if cfg.get("colour_constancy") is not None:
        raise ConfigError(f"ood: the run trained with colour_constancy={cfg['colour_constancy']!r}, which the serving preprocessing does not apply yet")
    size = int(cfg["image_size"])
    source = rd.current("model", skip=("ood",))
    if not source.is_file():
        raise DatasetError(f"{source} not found (run the train, assemble or reexport step first)")
    base = keras.models.load_model(source, compile=False)
    if len(base.outputs) != 1:
        raise ConfigError(f"{source} already has {len(base.outputs)} outputs")
    probe = probe_model(base)
    train_x, train_y, val_x, val_paths, others = lesion_sets(run_dir, dataset, dict(extra_lesions or {}), size)
    work = run_dir / "ood_cache"
    work.mkdir(exist_ok=True)
    sets = {"val_lesions": val_x, **{f"{k}_lesions": v for k, v in others.items()}, **non_lesion_sets(val_x, val_paths, size, seed=seed)}
    train = _cached_probe(probe, train_x, work / "train_lesions.npz", "ood features train")
    probes = {name: _cached_probe(probe, images, work / f"{name}.npz", f"ood features {name}") for name, images in sets.items()}
    candidates: dict[str, dict[str, np.ndarray]] = {
        "msp": {k: msp(p.probs) for k, p in probes.items()},
        "energy": {k: energy(p.logits) for k, p in probes.items()},
        "maxlogit": {k: maxlogit(p.logits) for k, p in probes.items()},
    }
    fits = {}
    for directions in ("top", "low"):
        for dim, fit in fit_whitenings(train.pooled, train_y, tuple(dims), directions=directions).items():
            fits[f"mahalanobis_{directions}{dim}"] = fit
            candidates[f"mahalanobis_{directions}{dim}"] = {k: fit.score(p.pooled) for k, p in probes.items()}
    table = candidate_table(candidates, max_refusal=max_lesion_refusal)
    # the rule can be applied by the contract to msp or to the mahalanobis output; energy / maxlogit are measured only
    exportable = {k: v for k, v in table.items() if (k == "msp" and score in ("auto", "msp")) or (k.startswith("mahalanobis_") and score in ("auto", "mahalanobis"))}
    if not exportable:
        raise ConfigError(f"--score {score!r}: expected auto, msp or mahalanobis")
    chosen = choose(exportable)
    rule: dict = {"score": MSP, "threshold": table[chosen]["threshold"]}
    if chosen.startswith("mahalanobis_"):
        fit = fits[chosen]
        rule = {
            "score": MAHALANOBIS,
            "threshold": table[chosen]["threshold"],
            "output": FEATURES_OUTPUT,
            "dim": int(fit.means.shape[1]),
            "means": [[round(float(v), 6) for v in row] for row in fit.means],
            "directions": "lowest-variance" if "_low" in chosen else "highest-variance",
        }
        model = with_ood_output(base, fit.projection, fit.bias)
        np.savez(run_dir / "ood_whitening.npz", projection=fit.projection, bias=fit.bias, means=fit.means)
    else:
        model = base
    save_h5(model, rd.new("model", "ood"))
    summary = {
        "chosen": chosen,
        "rule": rule,
        "max_lesion_refusal": max_lesion_refusal,
        "threshold_variant": "h5 (re-chosen over h5, int8 and fp16 by the evaluate step)",
        "set_sizes": {k: len(v) for k, v in sets.items()} | {"train_lesions": len(train_x)},
        "candidates": {k: {kk: vv for kk, vv in v.items()} for k, v in table.items()},
        "explained_variance": {name: f.explained for name, f in fits.items()},
        "seed": seed,
        "extra_lesions": {k: str(v) for k, v in (extra_lesions or {}).items()},
    }
    save_json(run_dir / "ood.json", summary)
    log(f"ood: chose {chosen} (threshold {rule['threshold']:.4g}); non-lesion refusal {table[chosen]['non_lesion_refusal']:.3f}, "
        f"val lesions {table[chosen]['refusal']['val_lesions']:.3f}; model.h5 now has {len(model.outputs)} output(s)")
    return summary


__all__ = ["FEATURES_OUTPUT", "MAHALANOBIS", "Probe", "Whitening", "candidate_table", "choose", "fit_whitening", "non_lesion_sets", "probe_model", "with_ood_output"]
