"""Leave-one-source-out: train once per source with that source held out, and report what transfers.

HAM10000's ``dataset`` column names where each image was collected (vidir_molemax, vidir_modern, rosendahl,
vienna_dias). A model that only learned one clinic's camera and population scores well on a random lesion
split and worse on a clinic it never saw; the mean over held-out sources, next to the split's figure, says
how much of the split's figure transfers. Each fold is an ordinary run directory (resumable, see
``train --resume``); the summary goes to ``loso.json`` and ``loso.md``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from lesion_contract.labels import HIGH_RISK_INDICES, LABELS
from lesion_contract.risk import DEFAULT_HIGH_RISK_MASS, high_risk_flags
from model_pipeline.config import TrainConfig
from model_pipeline.data.ham10000 import Dataset
from model_pipeline.data.split import dataset_sources, external_holdout, read_split
from model_pipeline.errors import DatasetError
from model_pipeline.evaluate import choose_high_risk_mass
from model_pipeline.metrics import balanced_accuracy, confusion, per_class_recall
from model_pipeline.progress import log

MEL = LABELS.index("mel")


def transfer_figures(y_true: np.ndarray, probs: np.ndarray, *, mass: float) -> dict:
    """The figures a held-out set is judged by: balanced accuracy (over the classes present), melanoma
    recall (top-1), and the share of melanomas and of benign lesions the product's high-risk rule refers
    at ``mass``; plus the mass ``choose_high_risk_mass`` would have picked on this set (>= 95% of its melanomas; hindsight,
    for comparison only: a deployed model cannot pick its mass on the clinic it is tested on)."""
    pred = probs.argmax(axis=1)
    present = np.unique(y_true)
    recall = per_class_recall(confusion(y_true, pred))
    mel = y_true == MEL
    benign = ~np.isin(y_true, HIGH_RISK_INDICES)
    flags = high_risk_flags(probs, mass)
    # the bundle's own rule for choosing its mass, applied in hindsight to this set
    hindsight = choose_high_risk_mass(y_true, probs)["mass"] if mel.any() else None
    return {
        "images": len(y_true),
        "class_counts": {LABELS[i]: int((y_true == i).sum()) for i in present},
        "balanced_accuracy": float(np.mean(recall[present])) if len(present) else None,
        "balanced_accuracy_all_classes": balanced_accuracy(y_true, pred),
        "melanoma_recall": float(recall[MEL]) if mel.any() else None,
        "mass": mass,
        "melanoma_referred": float(flags[mel].mean()) if mel.any() else None,
        "benign_referred": float(flags[benign].mean()) if benign.any() else None,
        "hindsight_mass_for_95pct_melanoma": hindsight,
    }


SPLIT_FOLD = "split"  # the reference fold: the same recipe on a lesion split (``--split-file``)


def loso_run(
    cfg: TrainConfig,
    dataset: Dataset,
    out_dir: Path,
    *,
    sources: list[str] | None = None,
    mass: float | None = None,
    split_file: Path | None = None,
    external: tuple[Dataset, ...] = (),
) -> dict:
    """Train and score one fold per source into ``out_dir/<source>/``; folds already trained are scored
    again, not retrained, and an interrupted fold resumes.

    ``split_file``: also train the same recipe on that lesion split (``out_dir/split/``; images the file does
    not list train unless their lesion validates, like the folds, which train on every image outside the held-out
    source), so the held-out sources' mean stands next to the split figure of the very same recipe. ``external``: every fold's model
    is also scored on the held-out half of each of these datasets (``external_holdout(...).val``, never
    trained on)."""
    import keras

    from model_pipeline.data.cache import load_images
    from model_pipeline.pipeline import train_run
    from model_pipeline.train import predict_probs

    out_dir = Path(out_dir)
    available = dataset_sources(dataset)
    sources = sources or list(available)
    if len(available) < 2:
        raise DatasetError(f"leave-one-source-out needs >= 2 sources in the 'dataset' column, found {available or 'none'}")
    mass_from = "given" if mass is not None else ("split" if split_file is not None else "default")
    mass = DEFAULT_HIGH_RISK_MASS if mass is None else mass
    held_out = [(d.root.name, external_holdout(d).val) for d in external]
    external_sets = {
        name: (load_images(records, cfg.image_size, label=f"decode {name}", colour_constancy=cfg.colour_constancy), np.array([r.label_index for r in records], dtype=np.int64))
        for name, records in held_out
    }
    # the reference first: without --mass its operating point (>= 95% of the split's melanomas referred,
    # choose_high_risk_mass) is the one every held-out source is then judged at, as a deployed model would be
    fold_names = ([SPLIT_FOLD] if split_file is not None else []) + list(sources)
    folds: dict[str, dict] = {}
    reference_figures = None
    for k, source in enumerate(fold_names, 1):
        fold_dir = out_dir / source
        fold_cfg = cfg if source == SPLIT_FOLD else dataclasses.replace(cfg, leave_out_source=source)
        if not (fold_dir / "model.h5").is_file():
            log(f"loso fold {k}/{len(fold_names)}: " + ("the lesion split (reference)" if source == SPLIT_FOLD else f"{source} held out"))
            resume = (fold_dir / "config.json").is_file()
            reference = source == SPLIT_FOLD and not resume  # the split's validation side, every other image trains
            train_run(fold_cfg, dataset, fold_dir, resume=resume, split_file=split_file if reference else None, add_unlisted=reference)
        split = read_split(fold_dir / "split.csv", dataset)
        if {r.lesion_id for r in split.train} & {r.lesion_id for r in split.val}:
            raise DatasetError(f"{fold_dir}/split.csv has lesions on both sides")
        model = keras.models.load_model(fold_dir / "model.h5", compile=False)
        val_x = load_images(split.val, fold_cfg.image_size, label=f"decode {source}", colour_constancy=fold_cfg.colour_constancy)
        val_y = np.array([r.label_index for r in split.val], dtype=np.int64)
        probs = predict_probs(model, val_x)
        if source == SPLIT_FOLD and mass_from == "split":
            mass = choose_high_risk_mass(val_y, probs)["mass"]
            log(f"loso: high-risk mass {mass} chosen on the split (>= 95% of its melanomas referred)")
        figures = {"train_images": len(split.train), **transfer_figures(val_y, probs, mass=mass)}
        figures["external"] = {name: transfer_figures(y, predict_probs(model, x), mass=mass) for name, (x, y) in external_sets.items()}
        if source == SPLIT_FOLD:
            reference_figures = figures
        else:
            folds[source] = figures
        log(f"loso {source}: bal.acc {figures['balanced_accuracy']:.3f}, melanoma referred {figures['melanoma_referred']}")
    keys = ("balanced_accuracy", "melanoma_recall", "melanoma_referred", "benign_referred")
    summary = {
        "config": cfg.to_dict(),
        "mass": mass,
        "mass_from": mass_from,
        "folds": folds,
        "mean": {key: value for key in keys if (value := _mean_or_none([f[key] for f in folds.values()])) is not None},
        "split": reference_figures,
        "external_mean": {
            name: {key: _mean_or_none([f["external"][name][key] for f in folds.values()]) for key in keys} for name in external_sets
        },
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "loso.json").write_text(json.dumps(summary, indent=2))
    (out_dir / "loso.md").write_text(loso_markdown(summary))
    return summary


def _mean_or_none(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def loso_markdown(summary: dict) -> str:
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}"

    def row(label: str, f: dict, images: str | None = None) -> str:
        cells = ([images] if images is not None else []) + [pct(f.get(k)) for k in ("balanced_accuracy", "melanoma_recall", "melanoma_referred", "benign_referred")]
        return f"| {label} | " + " | ".join(cells) + " |"

    lines = [
        f"# Leave-one-source-out (high-risk mass {summary['mass']}"
        + (", chosen on the lesion split: >= 95% of its melanomas referred)" if summary.get("mass_from") == "split" else ")"),
        "",
        "| held-out source | images | bal. acc. (classes present) | melanoma recall | melanomas referred | benign referred |",
        "|---|---|---|---|---|---|",
    ]
    lines += [row(source, f, str(f["images"])) for source, f in summary["folds"].items()]
    lines.append(row("**mean**", summary["mean"], ""))
    ref = summary.get("split")
    if ref:
        lines.append(row("lesion split (same recipe, reference)", ref, str(ref["images"])))
    for name, mean in (summary.get("external_mean") or {}).items():
        lines += [
            "",
            f"Held-out half of `{name}` (never trained on), scored by each fold's model:",
            "",
            "| model | bal. acc. | melanoma recall | melanomas referred | benign referred |",
            "|---|---|---|---|---|",
        ]
        lines += [row(f"{source} held out", f["external"][name]) for source, f in summary["folds"].items()]
        lines.append(row("**mean of the folds**", mean))
        if ref:
            lines.append(row("lesion split (reference)", ref["external"][name]))
    return "\n".join(lines) + "\n"
