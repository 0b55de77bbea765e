"""Evaluate the .h5 and each TFLite variant on the held-out split; choose per-class deferral thresholds."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from lesion_contract.labels import HIGH_RISK_INDICES, LABELS
from lesion_contract.risk import DEFAULT_HIGH_RISK_MASS, high_risk_flags
from model_pipeline.metrics import (
    balanced_accuracy,
    confusion,
    expected_calibration_error,
    melanoma_stats,
    per_class_auc,
    per_class_precision,
    per_class_recall,
)
from model_pipeline.progress import log, progress

VARIANT_FILES = {"h5": "model.h5", "int8": "model_int8.tflite", "fp16": "model_fp16.tflite"}


def _clean(value):
    """JSON-safe floats (NaN -> None), rounded for readability."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    return value


def variant_metrics(y_true: np.ndarray, probs: np.ndarray) -> dict:
    """All per-variant metrics from probabilities."""
    pred = probs.argmax(axis=1)
    cm = confusion(y_true, pred)
    recall = per_class_recall(cm)
    precision = per_class_precision(cm)
    auc = per_class_auc(y_true, probs)
    ece, bins = expected_calibration_error(y_true, probs)
    return {
        "balanced_accuracy": balanced_accuracy(y_true, pred),
        "accuracy": float((pred == y_true).mean()),
        "per_class_recall": dict(zip(LABELS, recall.tolist(), strict=False)),
        "per_class_precision": dict(zip(LABELS, precision.tolist(), strict=False)),
        "per_class_auc": dict(zip(LABELS, auc.tolist(), strict=False)),
        "macro_auc": float(np.nanmean(auc)),
        "melanoma": melanoma_stats(y_true, pred),
        "ece": ece,
        "reliability": bins,
        "confusion_matrix": cm.tolist(),
    }


MELANOMA_REFERRAL_TARGET = 0.95


def choose_high_risk_mass(
    y_true: np.ndarray, probs: np.ndarray, *, target: float = MELANOMA_REFERRAL_TARGET, cap: float = DEFAULT_HIGH_RISK_MASS
) -> dict:
    """The bundle's high-risk operating point: the probability mass of mel + bcc + akiec above which a
    screening is ``high`` risk (as is a high-risk top label), chosen so that at least ``target`` of the
    validation melanomas are referred.

    The largest mass in 0.05..``cap`` (steps of 0.01) that reaches the target; never above ``cap`` (the
    server's default rule), so a bundle can only make the rule more cautious; 0.05 when none reaches it.
    A better-calibrated model puts less mass on the high-risk classes of a melanoma it is unsure of, so
    one fixed mass would refer fewer melanomas with it: the operating point belongs to the model.
    """
    mel = y_true == LABELS.index("mel")
    malignant = np.isin(y_true, HIGH_RISK_INDICES)

    grid = [round(m, 2) for m in np.arange(0.05, cap + 1e-9, 0.01)]
    chosen = grid[0]
    if mel.any():
        for mass in reversed(grid):
            if high_risk_flags(probs, mass)[mel].mean() >= target:
                chosen = mass
                break
    f = high_risk_flags(probs, chosen)

    def rate(mask: np.ndarray) -> float | None:
        return float(f[mask].mean()) if mask.any() else None

    return {
        "mass": chosen,
        "melanoma_referred": rate(mel),
        "malignant_referred": rate(malignant),
        "benign_referred": rate(~malignant),
        "rule": (
            f"high risk when the top label is mel/bcc/akiec or those classes hold >= mass of the int8 probability; "
            f"mass = the largest in 0.05..{cap} referring >= {target} of validation melanomas"
        ),
    }


def choose_thresholds(y_true: np.ndarray, probs: np.ndarray, *, target_precision: float = 0.85, min_support: int = 5) -> dict[str, float]:
    """Per class: the lowest confidence t such that top-1 predictions of that class with confidence >= t
    are right at least ``target_precision`` of the time on validation (with >= ``min_support`` of them).
    Below t the phone defers to the server; 1.0 means the phone always defers for that class."""
    pred = probs.argmax(axis=1)
    conf = probs.max(axis=1)
    thresholds: dict[str, float] = {}
    for k, label in enumerate(LABELS):
        mask = pred == k
        c = conf[mask]
        right = y_true[mask] == k
        order = np.argsort(-c)
        c, right = c[order], right[order]
        best = 1.0
        hits = np.cumsum(right)
        for i in range(len(c)):
            n = i + 1
            # only cut between distinct confidence values
            if i + 1 < len(c) and c[i + 1] == c[i]:
                continue
            if n >= min_support and hits[i] / n >= target_precision:
                best = float(c[i])
        thresholds[label] = round(min(max(best, 0.0), 1.0), 4)
    return thresholds


def _plot_confusion(cm: np.ndarray, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    norm = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.4, 5.4), dpi=100)
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(LABELS)), LABELS)
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)
    for i in range(len(LABELS)):
        for j in range(len(LABELS)):
            ax.text(j, i, f"{cm[i, j]}", ha="center", va="center", fontsize=8, color="white" if norm[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, label="row-normalised recall")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _plot_reliability(bins_by_variant: dict[str, dict], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.4, 5.0), dpi=100)
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    for name, bins in bins_by_variant.items():
        conf = [c for c, n in zip(bins["confidence"], bins["count"], strict=False) if n]
        acc = [a for a, n in zip(bins["accuracy"], bins["count"], strict=False) if n]
        ax.plot(conf, acc, "o-", label=name)
    ax.set_xlabel("top-1 confidence")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def set_single_thread() -> bool:
    """Pin TensorFlow to one thread (must run before TF executes anything); False if too late."""
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        return True
    except RuntimeError:
        return False


def h5_probabilities(model, images: np.ndarray, batch: int = 128) -> np.ndarray:
    """The first output (probabilities) of ``model`` on ``images``; a second output (ood_features) is ignored here."""
    from model_pipeline.ood import h5_outputs

    out = []
    for i in progress(range(0, len(images), batch), math.ceil(len(images) / batch), "evaluate h5"):
        out.append(h5_outputs(model, images[i : i + batch])[0])
    return np.concatenate(out)


def evaluate_dir(
    model_dir: Path,
    val_x: np.ndarray,
    val_y: np.ndarray,
    *,
    title: str,
    target_precision: float = 0.85,
    latency_runs: int = 50,
    epoch_chosen_on_split: bool = True,
    ood_rule: dict | None = None,
    ood_sets: dict[str, np.ndarray] | None = None,
    ood_summary: dict | None = None,
    h5_path: Path | None = None,
) -> dict:
    """Evaluate ``model.h5`` (or ``h5_path``: a run's current model) + both .tflite files in ``model_dir``;
    write report.json/.md and PNGs there.

    ``ood_rule`` (from the ood step's ``ood.json``): also fix the "cannot assess" threshold on the
    validation lesions over the three variants and report refusal on ``ood_sets`` (name -> images)."""
    import keras

    from model_pipeline.export.tflite import TFLiteModel, median_latency_ms
    from model_pipeline.ood import variant_outputs

    single_thread = set_single_thread()
    model_dir = Path(model_dir)
    h5_file = Path(h5_path) if h5_path else model_dir / VARIANT_FILES["h5"]
    h5 = keras.models.load_model(h5_file, compile=False)
    tfl = {variant: TFLiteModel(model_dir / VARIANT_FILES[variant], num_threads=1) for variant in ("int8", "fp16")}
    predictors = {"h5": h5, **tfl}
    # probabilities and (for a model with the "cannot assess" output) ood_features of each variant
    outputs = {variant: variant_outputs(model, val_x, f"evaluate {variant}") for variant, model in predictors.items()}
    probs = {variant: out[0] for variant, out in outputs.items()}
    report: dict = {
        "title": title,
        "eval_split": "val",
        "n_eval": len(val_y),
        # False for weight-averaged (SWA) members: the schedule, not this split, chose their weights
        "epoch_chosen_on_split": epoch_chosen_on_split,
        "class_support": dict(zip(LABELS, np.bincount(val_y, minlength=len(LABELS)).tolist(), strict=False)),
        "variants": {},
    }
    top_h5 = probs["h5"].argmax(axis=1)
    for variant, p in probs.items():
        m = variant_metrics(val_y, p)
        if variant != "h5":
            m["top1_agreement_with_h5"] = float((p.argmax(axis=1) == top_h5).mean())
            m["max_abs_prob_diff_vs_h5"] = float(np.abs(p - probs["h5"]).max())
        report["variants"][variant] = m
    sample = val_x[0]
    latency = {
        "h5": median_latency_ms(lambda im: h5(im[None].astype(np.float32), training=False), sample, latency_runs),
        "int8": median_latency_ms(tfl["int8"].raw, sample, latency_runs),
        "fp16": median_latency_ms(tfl["fp16"].raw, sample, latency_runs),
    }
    report["latency_ms"] = latency
    report["latency_note"] = (
        f"median single-image wall time over {latency_runs} runs, one thread "
        f"({'TensorFlow pinned to 1 thread' if single_thread else 'TF thread pinning unavailable'}); "
        "h5 = model(x, training=False)"
    )
    report["sizes_bytes"] = {v: (h5_file if v == "h5" else model_dir / f).stat().st_size for v, f in VARIANT_FILES.items()}
    report["thresholds"] = choose_thresholds(val_y, probs["int8"], target_precision=target_precision)
    report["threshold_rule"] = (
        f"per class, lowest int8 confidence at which validation top-1 predictions of that class reach "
        f"precision >= {target_precision} (>= 5 predictions); below it the phone defers; 1.0 = always defer"
    )
    report["high_risk"] = choose_high_risk_mass(val_y, probs["int8"])
    if ood_rule is not None:
        from model_pipeline.ood import evaluate_ood

        report["ood"] = evaluate_ood(ood_rule, predictors, outputs, ood_sets or {}, ood_summary or {})
    for variant, m in report["variants"].items():
        _plot_confusion(np.array(m["confusion_matrix"]), f"{title}: {variant} confusion (val)", model_dir / f"confusion_{variant}.png")
    _plot_reliability(
        {v: m["reliability"] for v, m in report["variants"].items()}, f"{title}: reliability (val)", model_dir / "reliability.png"
    )
    report = _clean(report)
    (model_dir / "report.json").write_text(json.dumps(report, indent=2))
    (model_dir / "report.md").write_text(markdown_report(report))
    log(
        f"evaluation: bacc h5 {report['variants']['h5']['balanced_accuracy']:.4f} "
        f"int8 {report['variants']['int8']['balanced_accuracy']:.4f} "
        f"agreement {report['variants']['int8']['top1_agreement_with_h5']:.4f}"
    )
    return report


def _fmt(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def markdown_report(report: dict) -> str:
    """Human-readable summary of ``report.json``."""
    v = report["variants"]
    chosen = "the best epoch and the thresholds" if report.get("epoch_chosen_on_split", True) else "the thresholds"
    lines = [
        f"# Evaluation: {report['title']}",
        "",
        "Screening aid only, not a diagnosis. Evaluated on the lesion-level validation split "
        f"({report['n_eval']} images); the same split chose {chosen}, so these "
        "numbers are mildly optimistic.",
        "",
        "| metric | h5 | int8 | fp16 |",
        "|---|---|---|---|",
    ]
    for key, name in (
        ("balanced_accuracy", "balanced accuracy"),
        ("accuracy", "accuracy"),
        ("macro_auc", "macro AUC"),
        ("ece", "ECE (15 bins)"),
    ):
        lines.append(f"| {name} | " + " | ".join(_fmt(v[x][key]) for x in ("h5", "int8", "fp16")) + " |")
    lines.append("| melanoma sensitivity | " + " | ".join(_fmt(v[x]["melanoma"]["sensitivity"]) for x in ("h5", "int8", "fp16")) + " |")
    lines.append("| melanoma specificity | " + " | ".join(_fmt(v[x]["melanoma"]["specificity"]) for x in ("h5", "int8", "fp16")) + " |")
    lines.append(
        "| top-1 agreement with h5 | 1.000 | "
        + _fmt(v["int8"]["top1_agreement_with_h5"])
        + " | "
        + _fmt(v["fp16"]["top1_agreement_with_h5"])
        + " |"
    )
    lines.append("| latency ms (1 thread, median) | " + " | ".join(_fmt(report["latency_ms"][x]) for x in ("h5", "int8", "fp16")) + " |")
    lines.append("| size bytes | " + " | ".join(str(report["sizes_bytes"][x]) for x in ("h5", "int8", "fp16")) + " |")
    lines += [
        "",
        "## Per class (int8, the phone model)",
        "",
        "| class | support | recall | precision | AUC | deferral threshold |",
        "|---|---|---|---|---|---|",
    ]
    for label in LABELS:
        lines.append(
            f"| {label} | {report['class_support'][label]} | {_fmt(v['int8']['per_class_recall'][label])} | "
            f"{_fmt(v['int8']['per_class_precision'][label])} | {_fmt(v['int8']['per_class_auc'][label])} | "
            f"{report['thresholds'][label]} |"
        )
    lines += [
        "",
        f"Thresholds: {report['threshold_rule']}.",
        "",
        f"High-risk mass {report['high_risk']['mass']} ({report['high_risk']['rule']}): melanomas referred "
        f"{_fmt(report['high_risk']['melanoma_referred'])}, benign lesions referred {_fmt(report['high_risk']['benign_referred'])}.",
        "",
        "![confusion int8](confusion_int8.png) ![reliability](reliability.png)",
        "",
    ]
    if report.get("ood"):
        from model_pipeline.ood import markdown as ood_markdown

        lines.append(ood_markdown(report["ood"]))
    return "\n".join(lines)
