"""Write an immutable bundle ``<out>/<version>/`` from a run directory (never overwrites)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from lesion_contract.labels import LABELS, label_info
from lesion_contract.manifest import SCHEMA_VERSION, SYNTHETIC_MARK, VARIANT_OF, sha256_file
from lesion_contract.ood import OodRule
from lesion_contract.preprocess import PREPROCESSING_SPEC
from model_pipeline.bundle.golden import golden_entries, write_golden_images
from model_pipeline.bundle.validate import validate_bundle
from model_pipeline.errors import BundleError
from model_pipeline.progress import log

DISCLAIMER = (
    "Screening aid only, not a diagnosis. The model estimates how a dermatoscopic image resembles seven "
    "lesion classes; it can be wrong, it was validated on a limited retrospective data set, and any "
    "concerning, changing or bleeding lesion must be examined by a clinician."
)
AUTHOR = "Skin-lesion screening platform, model_pipeline"
# files copied from the run directory into the bundle
RUN_FILES = ("model.h5", "model_int8.tflite", "model_fp16.tflite", "labels.txt", "report.json", "report.md", "split.csv", "config.json")


def default_version(out_root: Path, synthetic: bool, dataset: str, today: dt.date | None = None) -> str:
    """``YYYY.MM.DD-<dataset>-r<N>`` with the first free N (``synthetic`` in the name for synthetic data)."""
    today = today or dt.datetime.now(dt.UTC).date()
    tag = "synthetic" if synthetic else dataset.lower().replace(" ", "-")
    n = 1
    while (Path(out_root) / f"{today:%Y.%m.%d}-{tag}-r{n}").exists():
        n += 1
    return f"{today:%Y.%m.%d}-{tag}-r{n}"


def model_texts(synthetic: bool, version: str, dataset: str) -> dict[str, str]:
    """Name/description shared by the manifest and the TFLite metadata."""
    name = "Skin lesion classifier (7 classes, HAM10000 labels)"
    description = (
        f"Depthwise-separable CNN ensemble averaging member probabilities over {', '.join(LABELS)}. Screening aid only, not a diagnosis."
    )
    if synthetic:
        name = f"{name} - {SYNTHETIC_MARK}"
        description = f"{SYNTHETIC_MARK}. Trained on synthetic drawings, not real lesions. {description}"
    else:
        description = f"Trained on {dataset} dermatoscopic images. {description}"
    return {"name": name, "description": description, "version": version}


def pretrained_weights(config: dict) -> list[dict]:
    """Where each ImageNet-initialised member's starting weights came from (empty: all trained from scratch)."""
    from model_pipeline.models.efficientnet_lite import LITE0_PROVENANCE

    sources = {"efficientnet_lite0": LITE0_PROVENANCE}
    return [
        {"member": i, "arch": m["arch"], "weights_path": m["weights_path"], "source": sources.get(m["arch"], "user-supplied weights file")}
        for i, m in enumerate(config.get("members", []))
        if m.get("weights_path")
    ]


def _file_entries(bundle: Path) -> list[dict]:
    entries = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file() and p.name != "manifest.json"):
        name = path.relative_to(bundle).as_posix()
        entries.append({"name": name, "size": path.stat().st_size, "sha256": sha256_file(path), "variant": VARIANT_OF.get(name)})
    return entries


def metrics_summary(report: dict) -> dict:
    v = report["variants"]
    return {
        "balanced_accuracy": {k: v[k]["balanced_accuracy"] for k in ("h5", "int8", "fp16")},
        "per_class_recall": {k: v[k]["per_class_recall"] for k in ("h5", "int8", "fp16")},
        "per_class_precision": {k: v[k]["per_class_precision"] for k in ("h5", "int8", "fp16")},
        "melanoma": {k: v[k]["melanoma"] for k in ("h5", "int8", "fp16")},
        "macro_auc": {k: v[k]["macro_auc"] for k in ("h5", "int8", "fp16")},
        "ece": {k: v[k]["ece"] for k in ("h5", "int8", "fp16")},
        "int8_agreement": v["int8"]["top1_agreement_with_h5"],
        "fp16_agreement": v["fp16"]["top1_agreement_with_h5"],
        "sizes_bytes": report["sizes_bytes"],
        "latency_ms": report["latency_ms"],
        "eval_split": report["eval_split"],
        "n_eval": report["n_eval"],
    }


def ood_block(report: dict, features_quantization: tuple[float, int] | None = None) -> dict | None:
    """The manifest's ``ood`` rule (from the evaluate step's report) with its measured refusal rates.

    ``features_quantization``: the int8 file's own (scale, zero point) of ``ood_features``, exact (the
    report's copy is rounded for reading)."""
    measured = report.get("ood")
    if not measured:
        return None
    rates = measured["rule_refusal"]
    rule = dict(measured["rule"])
    if features_quantization is not None and "int8_quantization" in rule:
        rule["int8_quantization"] = {"scale": features_quantization[0], "zero_point": features_quantization[1]}
    return {
        **rule,
        "refusal": {variant: {k: round(float(v), 4) for k, v in by_set.items()} for variant, by_set in rates.items()},
        "candidates_measured": sorted(measured.get("candidates", {})),
    }


def _first(features):
    return None if features is None else features[0]


def write_bundle(run_dir: Path, out_root: Path, version: str, *, created_at: str | None = None) -> Path:
    """Assemble, hash and validate a bundle from a converted + evaluated run directory.

    Writes into a temporary sibling and renames it into place only after validation passes, so a
    bundle directory either exists complete or not at all. Refuses to touch an existing version.
    """
    import keras

    from model_pipeline.export.tflite import TFLiteModel
    from model_pipeline.ood import h5_outputs

    run_dir, out_root = Path(run_dir), Path(out_root)
    final = out_root / version
    if final.exists():
        raise BundleError(f"{final} already exists: bundles are immutable, choose a new version")
    from model_pipeline.rundir import RunDir

    rd = RunDir(run_dir)
    # the run's current model and config are published as model.h5 / config.json; the rest by their names
    sources = {name: run_dir / name for name in RUN_FILES} | {"model.h5": rd.current("model"), "config.json": rd.current("config")}
    missing = [f for f, src in sources.items() if not src.is_file()]
    if missing:
        raise BundleError(f"{run_dir}: missing {', '.join(missing)} (run train, convert and evaluate first)")
    meta = json.loads((run_dir / "model_meta.json").read_text())
    if meta.get("version") != version:
        raise BundleError(f"{run_dir}: converted for version {meta.get('version')!r}, not {version!r}")
    config = json.loads(sources["config.json"].read_text())
    lineage = rd.lineage()
    data = json.loads((run_dir / "data.json").read_text())
    report = json.loads((run_dir / "report.json").read_text())
    history_path = run_dir / "training_history.json"
    history = json.loads(history_path.read_text()) if history_path.is_file() else {}
    init_path = run_dir / "init_run.json"
    warm_start = json.loads(init_path.read_text()) if init_path.is_file() else None
    reexport_path = run_dir / "reexport.json"  # written by the reexport step: same weights, converted again
    reexport_of = json.loads(reexport_path.read_text()) if reexport_path.is_file() else None
    out_root.mkdir(parents=True, exist_ok=True)
    staging = out_root / f".{version}.staging-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()
    try:
        for name, src in sources.items():
            shutil.copy2(src, staging / name)
        if (run_dir / "ood.json").is_file():  # the ood step's measurements (every candidate score)
            shutil.copy2(run_dir / "ood.json", staging / "ood.json")
        for png in sorted(run_dir.glob("*.png")):
            shutil.copy2(png, staging / png.name)
        size = int(config["image_size"])
        names = write_golden_images(staging / "golden")
        h5 = keras.models.load_model(staging / "model.h5", compile=False)
        int8 = TFLiteModel(staging / "model_int8.tflite")
        fp16 = TFLiteModel(staging / "model_fp16.tflite")
        predictors = {
            "h5": lambda t: h5_outputs(h5, t[None])[0][0],
            "int8": int8.predict_one,
            "fp16": fp16.predict_one,
        }
        ood = ood_block(report, int8.features_quantization)
        rule = OodRule.from_dict(ood) if ood else None
        feature_predictors = {
            "h5": lambda t: _first(h5_outputs(h5, t[None])[1]),
            "int8": lambda t: int8.predict_with_features(t)[1],
            "fp16": lambda t: fp16.predict_with_features(t)[1],
        }
        golden = golden_entries(
            staging,
            names,
            size,
            predictors,
            ood_rule=rule,
            feature_predictors=feature_predictors,
            int8_features=lambda t: int8.raw_with_features(t)[1],
        )
        (staging / "golden.json").write_text(json.dumps(golden, indent=2))
        scale, zero_point = int8.output_quantization
        synthetic = bool(data["synthetic"])
        texts = model_texts(synthetic, version, data["dataset"])
        manifest = {
            "schema_version": SCHEMA_VERSION,
            "version": version,
            "created_at": created_at or dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "name": texts["name"],
            "description": texts["description"],
            "author": AUTHOR,
            "licence": data["licence"],
            "synthetic": synthetic,
            "disclaimer": DISCLAIMER,
            "labels": list(LABELS),
            "label_info": label_info(),
            "input": {
                "height": size,
                "width": size,
                "channels": 3,
                "color": "RGB",
                "layout": "NHWC",
                "dtype": {"h5": "float32", "int8": "uint8", "fp16": "float32"},
                "preprocessing": dict(PREPROCESSING_SPEC),
            },
            "output": {
                "kind": "probabilities",
                "dtype": {"h5": "float32", "int8": "uint8", "fp16": "float32"},
                "int8_quantization": {"scale": scale, "zero_point": zero_point},
            },
            "files": _file_entries(staging),
            "thresholds": report["thresholds"],
            "threshold_rule": report["threshold_rule"],
            "high_risk": report["high_risk"],
            **({"ood": ood} if ood else {}),
            "metrics": metrics_summary(report),
            "data": data,
            "training": {
                **config,
                "members_trained": [
                    {k: m[k] for k in ("best_epoch", "best_val_balanced_accuracy", "train_minutes")} for m in history.get("members", [])
                ],
                "train_minutes_total": history.get("train_minutes_total"),
                "warm_start_from": warm_start,
                "pretrained_weights": pretrained_weights(config),
                **({"reexport_of": reexport_of} if reexport_of else {}),
            },
            "code_revision": history.get("code_revision") or meta.get("code_revision", "unknown"),
            # how to remake it: every step of the run in order (python -m model_pipeline remake BUNDLE)
            **({"lineage": lineage} if lineage else {}),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        # validate under the final name's rules (directory name must equal version), then publish
        validate_in_place(staging, version)
        if final.exists():
            raise BundleError(f"{final} appeared while writing: bundles are immutable")
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    log(f"bundle written: {final}")
    return final


def validate_in_place(staging: Path, version: str) -> None:
    """Validate a staging directory as if it were named ``version``."""
    from model_pipeline.bundle import validate as v

    manifest = json.loads((staging / "manifest.json").read_text())
    problems = v.check_manifest(manifest, version)
    if not problems:
        problems = v.check_files(staging, manifest)
    if not problems:
        golden_problems, golden = v.check_golden(staging, manifest)
        problems = golden_problems or v.check_models(staging, manifest, golden)
    if problems:
        raise BundleError(f"new bundle {version} failed validation: " + "; ".join(problems))


__all__ = ["DISCLAIMER", "default_version", "model_texts", "validate_bundle", "write_bundle"]
