"""Pipeline steps shared by the CLI: load data + split, train a run directory, provenance."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lesion_contract.labels import LABELS
from model_pipeline.config import TrainConfig
from model_pipeline.data.cache import load_images
from model_pipeline.data.ham10000 import Dataset, read_ham10000, read_isic2018_groundtruth
from model_pipeline.data.split import Split, external_holdout, lesion_split, read_split, source_split, write_split
from model_pipeline.errors import ConfigError, DatasetError
from model_pipeline.progress import log
from model_pipeline.rundir import RunDir

SYNTHETIC_MARKER = "SYNTHETIC.json"
HAM10000_LICENCE = (
    "CC BY-NC-SA 4.0 (HAM10000: Tschandl P., Rosendahl C., Kittler H. The HAM10000 dataset, a large "
    "collection of multi-source dermatoscopic images of common pigmented skin lesions. "
    "Sci. Data 5, 180161 (2018))"
)
SYNTHETIC_LICENCE = "Synthetic images drawn by model_pipeline.data.synthetic; no real patient data."


@dataclass
class PreparedData:
    dataset: Dataset
    split: Split
    synthetic: bool
    train_x: np.ndarray
    train_y: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray


def is_synthetic(root: Path) -> bool:
    return (Path(root) / SYNTHETIC_MARKER).is_file()


def load_dataset(
    data: Path | None = None, *, isic_csv: Path | None = None, images: Path | None = None, ham_metadata: Path | None = None
) -> Dataset:
    """HAM10000 layout under ``data``, or the ISIC 2018 Task 3 CSV with an image folder."""
    if isic_csv is not None:
        if images is None:
            raise DatasetError("--isic-csv needs --images (the folder holding <image>.jpg)")
        return read_isic2018_groundtruth(isic_csv, images, ham_metadata=ham_metadata)
    if data is None:
        raise DatasetError("no dataset given: pass --data DIR (HAM10000 layout) or --isic-csv/--images")
    return read_ham10000(data, image_dirs=[images] if images else None)


def prepare(cfg: TrainConfig, dataset: Dataset, *, split_file: Path | None = None) -> PreparedData:
    """Split by lesion (or reuse ``split_file``) and decode the images at the model size."""
    if split_file:
        split = read_split(split_file, dataset)
    elif cfg.leave_out_source:
        split = source_split(dataset, cfg.leave_out_source)
    else:
        split = lesion_split(dataset, val_fraction=cfg.val_fraction, seed=cfg.split_seed)
    log(f"split: {split.summary()}")
    train_x = load_images(split.train, cfg.image_size, label="decode train", colour_constancy=cfg.colour_constancy)
    val_x = load_images(split.val, cfg.image_size, label="decode val", colour_constancy=cfg.colour_constancy)
    train_y = np.array([r.label_index for r in split.train], dtype=np.int64)
    val_y = np.array([r.label_index for r in split.val], dtype=np.int64)
    return PreparedData(dataset, split, is_synthetic(dataset.root), train_x, train_y, val_x, val_y)


def provenance(prepared: PreparedData, cfg: TrainConfig) -> dict:
    """The manifest's ``data`` block."""
    split = prepared.split
    summary = split.summary()
    return {
        "dataset": "synthetic-ham10000-layout" if prepared.synthetic else prepared.dataset.name,
        "synthetic": prepared.synthetic,
        "split_seed": cfg.split_seed if split.seed < 0 else split.seed,
        "split_file": "split.csv",
        "val_fraction": cfg.val_fraction,
        "n_images": summary["n_images"],
        "n_lesions": summary["n_lesions"],
        "class_counts": split.class_counts(),
        "metadata_sha256": prepared.dataset.metadata_sha256,
        "licence": SYNTHETIC_LICENCE if prepared.synthetic else HAM10000_LICENCE,
        "labels": list(LABELS),
    }


def code_revision() -> str:
    """Git commit of the pipeline code ("+dirty" when it has uncommitted changes), or "unknown"."""
    root = Path(__file__).resolve().parent.parent
    git = ["git", "-C", str(root)]
    try:
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True)  # noqa: S603
        status = subprocess.run(  # noqa: S603
            [*git, "status", "--porcelain", "--", "model_pipeline"], capture_output=True, text=True, timeout=10, check=False
        )
        return head.stdout.strip() + ("+dirty" if status.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def extend_split(split: Split, dataset: Dataset) -> tuple[Split, int]:
    """``split`` plus, on its training side, every image of ``dataset`` it does not list whose lesion does not
    validate (images of validation lesions stay out, so the validation side is exactly the old one and a new
    model is compared with an older bundle on the same images). Returns (split, images skipped)."""
    listed = {r.image_id for r in split.train} | {r.image_id for r in split.val}
    val_lesions = {r.lesion_id for r in split.val}
    unlisted = [r for r in dataset.records if r.image_id not in listed]
    added = tuple(r for r in unlisted if r.lesion_id not in val_lesions)
    return Split(split.train + added, split.val, split.seed), len(unlisted) - len(added)


MAX_DATASET_WEIGHT = 10.0  # cap on a sample's weight relative to its dataset's mean (a class of 1-3 images)


def dataset_balanced_weights(cfg: TrainConfig, y: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Class-balanced sample weights computed within each training dataset (``groups``), each dataset weighing
    its share of the images, a sample's weight cut to ``MAX_DATASET_WEIGHT`` times its dataset's mean before renormalising
    (``refit.source_balanced_weights``): balancing over the pooled images would let the network learn a
    dataset's class mix (the ISIC archive part is 59% melanoma; measured with head refits on r20: 92% of that
    set's benign lesions referred, docs/training.md)."""
    from model_pipeline.refit import source_balanced_weights

    return source_balanced_weights(cfg, y, groups, cap=MAX_DATASET_WEIGHT)


def add_extra_training(
    prepared: PreparedData, extras: tuple[Dataset, ...], image_size: int, colour_constancy: str | None = None
) -> tuple[np.ndarray, list[dict]]:
    """Append the trainable half of each extra dataset to ``prepared``'s training images (in place). Returns
    each training image's dataset ("ham" for the run's own) and what was added, for ``data.json``."""
    groups = np.array(["ham"] * len(prepared.train_y), dtype=object)
    info: list[dict] = []
    for extra in extras:
        held = external_holdout(extra)
        part = held.train
        log(f"extra dataset {extra.root.name}: {len(part)} images train, {len(held.val)} held out")
        prepared.train_x = np.concatenate([prepared.train_x, load_images(part, image_size, label=f"decode {extra.root.name}", colour_constancy=colour_constancy)])
        prepared.train_y = np.concatenate([prepared.train_y, np.array([r.label_index for r in part], dtype=np.int64)])
        groups = np.concatenate([groups, np.array([extra.root.name] * len(part), dtype=object)])
        info.append(
            {
                "dataset": extra.root.name,
                "metadata_sha256": extra.metadata_sha256,
                "trained_images": len(part),
                "held_out_images": len(held.val),
                "class_counts": {label: sum(1 for r in part if r.label == label) for label in LABELS},
                "rule": "model_pipeline.data.split.external_holdout (lesion-level, class-stratified, seed 2026, half held out)",
            }
        )
    return groups, info


def train_run(
    cfg: TrainConfig,
    dataset: Dataset,
    run_dir: Path,
    *,
    split_file: Path | None = None,
    resume: bool = False,
    add_unlisted: bool = False,
    extras: tuple[Dataset, ...] = (),
) -> Path:
    """Train the ensemble into ``run_dir``: model.h5, config.json, split.csv, data.json, history.

    ``resume``: go on with an interrupted run in ``run_dir`` (same configuration and split; members that finished
    are loaded, the interrupted one continues after its last checkpointed epoch).
    ``add_unlisted`` (with ``split_file``): images of ``dataset`` the old split does not list train too, unless
    their lesion validates (``extend_split``). ``extras``: the trainable half of each other dataset
    (``external_holdout(...).train``) trains too; its held-out half is never seen. Both are recorded in
    ``data.json`` (the manifest's ``data``), the extra images by dataset and count in ``extra_training``.
    """
    from model_pipeline.train import save_h5, train_ensemble  # TensorFlow import is slow: defer

    cfg.validate()
    run_dir = Path(run_dir)
    if resume:
        saved = run_dir / "config.json"
        if not saved.is_file():
            raise DatasetError(f"--resume: {saved} not found (nothing to resume in {run_dir})")
        if json.loads(saved.read_text()) != json.loads(json.dumps(cfg.to_dict())):
            raise DatasetError(f"--resume: the configuration differs from {saved}; pass the same --config/--set, or use a new --run-dir")
        split_file = run_dir / "split.csv"
    if add_unlisted and split_file is None:
        raise ConfigError("--add-unlisted extends an existing split: pass --split-file")
    run_dir.mkdir(parents=True, exist_ok=True)
    prepared = prepare(cfg, dataset, split_file=split_file)
    skipped = 0
    if add_unlisted and not resume:  # a resumed run reads the extended split.csv it wrote
        split, skipped = extend_split(prepared.split, dataset)
        added = split.train[len(prepared.split.train) :]
        log(f"split extended: {len(added)} unlisted images train, {skipped} images of validation lesions left out")
        added_x = load_images(added, cfg.image_size, label="decode added", colour_constancy=cfg.colour_constancy)
        prepared.split = split
        prepared.train_x = np.concatenate([prepared.train_x, added_x])
        prepared.train_y = np.array([r.label_index for r in split.train], dtype=np.int64)
    groups, extra_info = add_extra_training(prepared, extras, cfg.image_size, cfg.colour_constancy)
    write_split(prepared.split, run_dir / "split.csv")
    (run_dir / "config.json").write_text(json.dumps(cfg.to_dict(), indent=2))
    data = provenance(prepared, cfg)
    if add_unlisted or extras:
        data_path = run_dir / "data.json"
        if resume and data_path.is_file():
            data = json.loads(data_path.read_text())
        else:
            if split_file is not None:
                data["split_from"] = {"file": str(split_file), "unlisted_images_added": add_unlisted, "images_of_validation_lesions_left_out": skipped}
            data["extra_training"] = extra_info
    (run_dir / "data.json").write_text(json.dumps(data, indent=2))
    weights = dataset_balanced_weights(cfg, prepared.train_y, groups) if cfg.class_balance == "dataset" else None
    if cfg.init_from:  # keep the warm-start run's recipe so the bundle says how to remake it
        init = Path(cfg.init_from)
        if not (init / "config.json").is_file():
            raise DatasetError(
                f"init_from {init}: config.json not found (a bundle that left tflite_artifacts/ comes back from git: "
                "docs/experiments/bundles/README.md)"
            )
        previous = {"run": init.name, "config": json.loads((init / "config.json").read_text())}
        if (init / "training_history.json").is_file():
            hist = json.loads((init / "training_history.json").read_text())
            previous["members_trained"] = [
                {k: m[k] for k in ("best_epoch", "best_val_balanced_accuracy", "train_minutes")} for m in hist.get("members", [])
            ]
        (run_dir / "init_run.json").write_text(json.dumps(previous, indent=2))
    model, summary = train_ensemble(
        cfg, prepared.train_x, prepared.train_y, prepared.val_x, prepared.val_y, run_dir, resume=resume, sample_weights=weights
    )
    save_h5(model, run_dir / "model.h5")
    summary["code_revision"] = code_revision()
    (run_dir / "training_history.json").write_text(json.dumps(summary, indent=2))
    log(f"saved {run_dir / 'model.h5'}")
    return run_dir


def _split_data(run_dir: Path, dataset: Dataset, cfg: TrainConfig) -> PreparedData:
    split_file = Path(run_dir) / "split.csv"
    if not split_file.is_file():
        raise DatasetError(f"{split_file} not found (run the train step first)")
    return prepare(cfg, dataset, split_file=split_file)


def require_servable(cfg: TrainConfig, step: str) -> None:
    """ConfigError when the run's images differ from what the server and the app feed the model."""
    if cfg.colour_constancy is not None:
        raise ConfigError(
            f"{step}: this run trained with colour_constancy={cfg.colour_constancy!r}, which the serving preprocessing "
            "(contract, server, app) does not apply yet; such a run is for measuring (train, evaluate the .h5, loso), not for a bundle"
        )


def run_config(run_dir: Path) -> TrainConfig:
    """The run's current configuration (the newest a step wrote, see ``RunDir``)."""
    path = RunDir(run_dir).current("config")
    if not path.is_file():
        raise DatasetError(f"{path} not found (run the train step first)")
    return TrainConfig.from_file(path)


REEXPORT_FILES = ("model.h5", "config.json", "split.csv")
REEXPORT_OPTIONAL_FILES = ("ood.json",)


def reexport_run(bundle: Path, run_dir: Path, *, reason: str) -> Path:
    """A fresh run directory from a published bundle, to convert the same weights again (e.g. after an export fix).

    Copies the bundle's ``model.h5``, ``config.json`` and ``split.csv`` byte for byte (checked against its
    manifest), writes its ``data`` block as ``data.json`` and records the source in ``reexport.json``, which
    the bundle writer puts in the manifest as ``training.reexport_of``. convert then calibrates on the same
    split's images, evaluate scores the same validation split, bundle publishes under a new version.
    """
    import shutil

    from lesion_contract.manifest import sha256_file
    from model_pipeline.bundle.validate import validate_bundle

    bundle, run_dir = Path(bundle), Path(run_dir)
    if not reason.strip():
        raise ConfigError("reexport needs a reason (it is recorded in the new bundle's manifest)")
    if run_dir.exists() and any(run_dir.iterdir()):
        raise ConfigError(f"{run_dir} is not empty: re-export into a fresh run directory")
    manifest = validate_bundle(bundle, load_models=False)
    listed = {entry["name"]: entry["sha256"] for entry in manifest["files"]}
    run_dir.mkdir(parents=True, exist_ok=True)
    # the ood step's measurements too, when the bundle has them: evaluate then fixes the rule's thresholds again
    # (per model variant since variant_thresholds) without recomputing the features the rule was built from
    optional = tuple(name for name in REEXPORT_OPTIONAL_FILES if name in listed)
    for name in REEXPORT_FILES + optional:
        shutil.copyfile(bundle / name, run_dir / name)
        if sha256_file(run_dir / name) != listed[name]:
            raise DatasetError(f"{run_dir / name}: copy differs from {bundle.name}'s manifest")
    (run_dir / "data.json").write_text(json.dumps(manifest["data"], indent=2))
    source = {"version": manifest["version"], "model_h5_sha256": listed["model.h5"], "reason": reason.strip()}
    (run_dir / "reexport.json").write_text(json.dumps(source, indent=2))
    log(f"re-export run {run_dir}: model.h5, config.json, split.csv of {manifest['version']}")
    return run_dir


def calibration_indices(cfg: TrainConfig, prepared: PreparedData) -> np.ndarray:
    """The training images int8 conversion calibrates on (and the qat step calibrates its ranges on)."""
    from model_pipeline.export.quantization import representative_indices

    return representative_indices(prepared.train_y, cfg.representative_samples, seed=cfg.split_seed)


def convert_run(run_dir: Path, dataset: Dataset, version: str) -> dict:
    """``model.h5`` -> ``model_int8.tflite`` + ``model_fp16.tflite`` with metadata and ``labels.txt``."""
    import keras

    from model_pipeline.bundle.writer import AUTHOR, model_texts
    from model_pipeline.export.metadata import write_labels, write_metadata
    from model_pipeline.export.quantization import Quantization
    from model_pipeline.export.tflite import convert

    run_dir = Path(run_dir)
    cfg = run_config(run_dir)
    require_servable(cfg, "convert")
    data = json.loads((run_dir / "data.json").read_text())
    prepared = _split_data(run_dir, dataset, cfg)
    model = keras.models.load_model(RunDir(run_dir).current("model"), compile=False)
    rep_idx = calibration_indices(cfg, prepared)
    rep = prepared.train_x[rep_idx]
    labels = write_labels(run_dir / "labels.txt")
    texts = model_texts(bool(data["synthetic"]), version, data["dataset"])
    sizes = {}
    for quant, name in (
        (Quantization.for_int8(rep, per_channel=cfg.int8_per_channel), "model_int8.tflite"),
        (Quantization.for_float16(), "model_fp16.tflite"),
    ):
        log(f"converting {name} ({len(rep)} calibration images)" if quant.variant == "int8" else f"converting {name}")
        flat = convert(model, quant)
        flat = write_metadata(
            flat,
            name=texts["name"],
            description=texts["description"],
            version=version,
            author=AUTHOR,
            licence=data["licence"],
            labels_path=labels,
        )
        (run_dir / name).write_bytes(flat)
        sizes[name] = len(flat)
    meta = {
        "version": version,
        "code_revision": code_revision(),
        "int8_weights": "per-channel" if cfg.int8_per_channel else "per-tensor",
        "representative_images": len(rep),
        "representative_class_counts": dict(
            zip(LABELS, np.bincount(prepared.train_y[rep_idx], minlength=len(LABELS)).tolist(), strict=False)
        ),
    }
    (run_dir / "model_meta.json").write_text(json.dumps(meta, indent=2))
    log(f"converted: {sizes}")
    return meta


def qat_run(
    run_dir: Path,
    dataset: Dataset,
    *,
    epochs: int = 2,
    learning_rate: float = 5e-5,
    batch_size: int = 32,
    distill: float = 1.0,
    snap: bool = True,
) -> Path:
    """Quantisation-aware fine-tuning of the run's current model into a new model file (``RunDir``); settings
    and per-epoch scores go to the new config's ``qat``. See ``model_pipeline.qat``. Returns the new model."""
    import dataclasses

    import keras

    from model_pipeline import qat
    from model_pipeline.data.tfdata import train_dataset
    from model_pipeline.models.ensemble import with_conv_normalisation
    from model_pipeline.train import configured_sample_weights, save_h5

    run_dir = Path(run_dir)
    rd = RunDir(run_dir)
    cfg = run_config(run_dir)
    if cfg.qat is not None:
        raise ConfigError(f"{run_dir}: model.h5 was already fine-tuned by the qat step; start from a fresh run")
    if not 1 <= epochs <= 20 or not 0 < learning_rate <= 1e-2 or not 1 <= batch_size <= 512 or not 0.0 <= distill <= 1.0:
        raise ConfigError("qat: epochs 1..20, learning rate in (0, 0.01], batch size 1..512, distill in [0, 1]")
    incoming = rd.current("model")
    if not incoming.is_file():
        raise DatasetError(f"{incoming} not found (run the train or assemble step first)")
    model = with_conv_normalisation(keras.models.load_model(incoming, compile=False))
    try:
        qat.check_flat(model)  # fail before decoding the images, not after
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    prepared = _split_data(run_dir, dataset, cfg)
    rep = prepared.train_x[calibration_indices(cfg, prepared)]
    weights, _ = configured_sample_weights(cfg, prepared.train_y)
    batch_size = min(batch_size, len(prepared.train_x))
    ds = train_dataset(
        prepared.train_x, prepared.train_y, weights, n_classes=len(LABELS), batch_size=batch_size, augment=cfg.augment, seed=cfg.split_seed
    ).repeat()
    steps = max(1, len(prepared.train_x) // batch_size)
    log(f"qat: {epochs} epoch(s) of {steps} steps, LR {learning_rate:g}, distill {distill:g}, {len(rep)} calibration images")
    result = qat.finetune(
        model,
        ds,
        steps,
        calibration=rep,
        val_x=prepared.val_x,
        val_y=prepared.val_y,
        epochs=epochs,
        learning_rate=learning_rate,
        weight_decay=cfg.weight_decay,
        label_smoothing=cfg.label_smoothing,
        distill=distill,
    )
    snapped = qat.snap_weights(model) if snap else 0
    out_model, out_config = rd.new("model", "qat"), rd.new("config", "qat")
    save_h5(model, out_model)
    record = {
        "epochs": epochs,
        "learning_rate": learning_rate,
        "batch_size": batch_size,
        "distill": distill,
        "snapped_kernels": snapped,
        "calibration_images": len(rep),
        "minutes": round(result.seconds / 60, 2),
        "history": result.history,
    }
    out_config.write_text(json.dumps(dataclasses.replace(cfg, qat=record).to_dict(), indent=2))
    log(f"qat: saved {out_model} ({snapped} kernels on their int8 grid; the incoming model {incoming.name} is unchanged)")
    return out_model


def evaluate_run(run_dir: Path, dataset: Dataset, *, latency_runs: int = 50) -> dict:
    """Evaluate the run's three variants on its validation split (report.json/.md + PNGs)."""
    from model_pipeline.evaluate import evaluate_dir

    run_dir = Path(run_dir)
    cfg = run_config(run_dir)
    data = json.loads((run_dir / "data.json").read_text())
    prepared = _split_data(run_dir, dataset, cfg)
    title = "SYNTHETIC data" if data["synthetic"] else data["dataset"]
    ood_rule, ood_sets, ood_summary = None, None, None
    if (run_dir / "ood.json").is_file():  # the ood step ran: fix its threshold and measure refusal per variant
        from model_pipeline.ood import evaluation_sets

        ood_summary = json.loads((run_dir / "ood.json").read_text())
        ood_rule = ood_summary["rule"]
        ood_sets = evaluation_sets(ood_summary, prepared.val_x, [r.path for r in prepared.split.val], cfg.image_size)
    return evaluate_dir(
        run_dir,
        prepared.val_x,
        prepared.val_y,
        title=title,
        latency_runs=latency_runs,
        epoch_chosen_on_split=cfg.swa_epochs <= 0,
        ood_rule=ood_rule,
        ood_sets=ood_sets,
        ood_summary=ood_summary,
        h5_path=RunDir(run_dir).current("model"),
    )


def assemble_run(
    run_dir: Path,
    n_members: int | None = None,
    *,
    tta_transpose: bool | None = None,
    tta_flips: bool | None = None,
    add_from: tuple[Path, ...] = (),
    input_size: int | None = None,
    dead_channel_var: float | None = None,
) -> Path:
    """Build ``model.h5`` from the member checkpoints that finished (for a run stopped early).

    ``add_from`` appends every member of other ensembles (bundles or run directories holding
    ``model.h5`` and ``config.json``): e.g. the snapshots of an earlier warm restart, so one model
    averages both. Each added member records its ``origin``; one trained at another input size also
    records that ``image_size``, and the model resizes its input for it (a multi-resolution ensemble).
    ``input_size`` raises the model's input side above the run's own (so this run's members, trained
    at a lower size, can join members trained at a higher one); the run's members then record their
    trained size and see the input resized, like added ones.
    """
    import dataclasses

    from model_pipeline.models.ensemble import build_ensemble, build_member, member_size
    from model_pipeline.train import copy_member_weights, save_h5

    run_dir = Path(run_dir)
    cfg = run_config(run_dir)
    own_size = cfg.image_size
    if input_size is not None:
        if not own_size <= input_size <= 512:
            raise ConfigError(f"--input-size must be between this run's {own_size} px and 512, got {input_size}")
        cfg = dataclasses.replace(cfg, image_size=input_size)
    if n_members is None:  # members whose training finished are recorded in training_history.json
        history = run_dir / "training_history.json"
        n_members = len(json.loads(history.read_text())["members"]) if history.is_file() else 0
    members, specs = [], []
    for i, spec in enumerate(cfg.members[:n_members]):
        checkpoint = run_dir / f"member{i}.best.weights.h5"
        if not checkpoint.is_file():
            raise DatasetError(f"{checkpoint} not found")
        trained_at = member_size(spec, own_size)
        model = build_member(spec, i, trained_at, pretrained=False)
        model.load_weights(checkpoint)
        members.append(model)
        specs.append(dataclasses.replace(spec, image_size=None if trained_at == cfg.image_size else trained_at))
    if not members:
        raise DatasetError(f"{run_dir}: no finished ensemble member to assemble")
    for source in add_from:
        source_cfg = run_config(source)
        source_model = RunDir(source).current("model")
        if not source_model.is_file():
            raise DatasetError(f"{source_model} not found")
        for j, spec in enumerate(source_cfg.members):
            index = len(members)
            size = member_size(spec, source_cfg.image_size)
            if size > cfg.image_size:
                raise DatasetError(
                    f"{source}: member {j} was trained at {size} px, above this run's {cfg.image_size} px "
                    "(the model only scales its input down; assemble into the higher-resolution run, or raise --input-size)"
                )
            model = build_member(spec, index, size, pretrained=False)
            if not copy_member_weights(model, index, source_model, j):
                raise DatasetError(f"{source}/model.h5 has no member {j} although its config.json lists it")
            members.append(model)
            specs.append(
                dataclasses.replace(
                    spec, origin=spec.origin or f"{Path(source).name} member {j}", image_size=None if size == cfg.image_size else size
                )
            )
        log(f"added {len(source_cfg.members)} member(s) from {source}")
    # the frozen config must describe the model that was actually saved
    transpose = cfg.tta_transpose if tta_transpose is None else tta_transpose
    flips = cfg.tta_flips if tta_flips is None else tta_flips
    cfg = dataclasses.replace(cfg, members=tuple(specs), tta_transpose=transpose, tta_flips=flips)
    if dead_channel_var is not None:
        cfg = dataclasses.replace(cfg, dead_channel_var=dead_channel_var)
    cfg.validate()
    ensemble = build_ensemble(
        members, specs, cfg.image_size, tta_transpose=transpose, tta_flips=flips, dead_channel_var=cfg.dead_channel_var
    )
    rd = RunDir(run_dir)
    out_model, out_config = rd.new("model", "assemble"), rd.new("config", "assemble")
    save_h5(ensemble, out_model)
    out_config.write_text(json.dumps(cfg.to_dict(), indent=2))
    log(f"assembled {len(members)} member(s) into {out_model}")
    return out_model
