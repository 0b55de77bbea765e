"""Command line: ``python -m model_pipeline <step>``.

Steps: synth (synthetic HAM10000-layout data), train, assemble (ensemble from finished members),
qat, reexport (a run directory from a published bundle), ood (the "cannot assess" rule and the model's
second output), convert (int8 + fp16 TFLite with metadata),
evaluate, bundle, validate, remake (a bundle again from its recorded lineage), refit-head, loso, demo
(all of it on synthetic data). Steps that change a run directory append themselves to its lineage.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from model_pipeline.errors import PipelineError

DEFAULT_OUT = Path("tflite_artifacts")


def _config(args):
    from model_pipeline.config import TrainConfig

    cfg = TrainConfig.from_file(args.config) if getattr(args, "config", None) else TrainConfig()
    return cfg.override(args.set or [])


def _dataset(args):
    from model_pipeline.pipeline import load_dataset

    return load_dataset(args.data, isic_csv=args.isic_csv, images=args.images, ham_metadata=args.ham_metadata)


def cmd_synth(args) -> int:
    from model_pipeline.data.synthetic import generate

    try:
        out = generate(args.out, args.images, seed=args.seed, width=args.width, height=args.height)
    except FileExistsError as exc:
        raise PipelineError(str(exc)) from exc
    print(f"SYNTHETIC dataset written to {out}")
    return 0


def cmd_train(args) -> int:
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.pipeline import train_run

    extras = tuple(read_ham10000(path, require_all_classes=False) for path in (args.extra or ()))
    train_run(
        _config(args),
        _dataset(args),
        args.run_dir,
        split_file=args.split_file,
        resume=args.resume,
        add_unlisted=args.add_unlisted,
        extras=extras,
    )
    return 0


def cmd_assemble(args) -> int:
    from model_pipeline.pipeline import assemble_run

    assemble_run(
        args.run_dir,
        args.members,
        tta_transpose=args.tta_transpose,
        tta_flips=args.tta_flips,
        add_from=tuple(args.add_members_from or ()),
        input_size=args.input_size,
        dead_channel_var=args.dead_channel_var,
    )
    return 0


def cmd_qat(args) -> int:
    from model_pipeline.pipeline import qat_run

    qat_run(
        args.run_dir,
        _dataset(args),
        epochs=args.epochs,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        distill=args.distill,
        snap=args.snap,
    )
    return 0


def cmd_reexport(args) -> int:
    from model_pipeline.pipeline import reexport_run

    reexport_run(args.bundle, args.run_dir, reason=args.reason)
    print(f"run directory {args.run_dir} holds {args.bundle.name}'s model.h5, config.json and split.csv: now convert, evaluate, bundle")
    return 0


def cmd_convert(args) -> int:
    from model_pipeline.bundle.writer import default_version
    from model_pipeline.pipeline import convert_run

    data = json.loads((args.run_dir / "data.json").read_text()) if (args.run_dir / "data.json").is_file() else None
    if data is None:
        raise PipelineError(f"{args.run_dir}/data.json not found (run the train step first)")
    version = args.version or default_version(args.out, data["synthetic"], data["dataset"])
    if data["synthetic"] and "synthetic" not in version.lower():
        raise PipelineError(f"version {version!r} must contain 'synthetic' for a model trained on synthetic data")
    convert_run(args.run_dir, _dataset(args), version)
    print(f"converted {args.run_dir} as version {version}")
    return 0


def cmd_evaluate(args) -> int:
    from model_pipeline.pipeline import evaluate_run

    report = evaluate_run(args.run_dir, _dataset(args), latency_runs=args.latency_runs)
    v = report["variants"]
    print(
        f"balanced accuracy h5 {v['h5']['balanced_accuracy']:.4f} int8 {v['int8']['balanced_accuracy']:.4f} "
        f"fp16 {v['fp16']['balanced_accuracy']:.4f}; int8 agreement {v['int8']['top1_agreement_with_h5']:.4f}; "
        f"report: {args.run_dir / 'report.md'}"
    )
    return 0


def cmd_loso(args) -> int:
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.loso import loso_run

    external = tuple(read_ham10000(path, require_all_classes=False) for path in args.external or ())
    summary = loso_run(
        _config(args), _dataset(args), args.out_dir, sources=args.source or None, mass=args.mass, split_file=args.split_file, external=external
    )
    print((args.out_dir / "loso.md").read_text())
    print(f"mean over {len(summary['folds'])} held-out sources: {summary['mean']}")
    return 0


def cmd_refit_head(args) -> int:
    from model_pipeline.data.ham10000 import read_ham10000
    from model_pipeline.refit import refit_run

    extras = [read_ham10000(path, require_all_classes=False) for path in args.extra or []]
    record = refit_run(args.run_dir, _dataset(args), extras, pull=args.pull)
    print(f"heads refitted (pull {record['pull']:g}) on {sum([record['data']['split_train_images'], record['data']['added_ham_images']])} "
          f"HAM10000 images + {sum(e['trained_on'] for e in record['data']['extra'].values())} extra")
    return 0


def cmd_ood(args) -> int:
    from model_pipeline.ood import ood_fit_run

    extra = {}
    for item in args.extra_lesions or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise PipelineError(f"--extra-lesions takes NAME=DIR, got {item!r}")
        extra[name] = Path(path)
    summary = ood_fit_run(
        args.run_dir, _dataset(args), extra_lesions=extra, dims=tuple(args.dim or ()) or (64, 128, 256, 512), seed=args.seed, score=args.score
    )
    print(f"chose {summary['chosen']}: {summary['rule']['score']} > {summary['rule']['threshold']:.4g} -> cannot assess; see {args.run_dir / 'ood.json'}")
    return 0


def cmd_bundle(args) -> int:
    from model_pipeline.bundle.writer import write_bundle

    meta_path = args.run_dir / "model_meta.json"
    if not meta_path.is_file():
        raise PipelineError(f"{meta_path} not found (run the convert step first)")
    version = json.loads(meta_path.read_text())["version"]
    path = write_bundle(args.run_dir, args.out, version)
    print(f"bundle {path} written and validated")
    return 0


def cmd_validate(args) -> int:
    from model_pipeline.bundle.validate import validate_bundle

    manifest = validate_bundle(args.bundle, load_models=not args.no_models, allow_dynamic_batch=args.allow_dynamic_batch)
    m = manifest["metrics"]
    print(
        f"OK {manifest['version']} ({'SYNTHETIC' if manifest['synthetic'] else manifest['data']['dataset']}): "
        f"{len(manifest['files'])} files verified; int8 balanced accuracy {m['balanced_accuracy']['int8']:.4f}, "
        f"int8 agreement {m['int8_agreement']:.4f}"
    )
    return 0


def cmd_remake(args) -> int:
    """Replay a bundle's lineage into a fresh run directory, then bundle the result under a new version."""
    manifest_path = args.bundle / "manifest.json"
    if not manifest_path.is_file():
        raise PipelineError(f"{manifest_path} not found")
    steps = json.loads(manifest_path.read_text()).get("lineage")
    if not steps:
        raise PipelineError(
            f"{args.bundle.name} records no lineage (bundles made before it was recorded): its commands are in "
            "docs/training.md and docs/experiments/README.md"
        )
    if args.run_dir.exists() and any(args.run_dir.iterdir()):
        raise PipelineError(f"{args.run_dir} is not empty: remake into a fresh run directory")
    maps = [("{run}", str(args.run_dir))]
    for item in args.map or []:
        old, sep, new = item.partition("=")
        if not sep or not old:
            raise PipelineError(f"--map takes OLD=NEW, got {item!r}")
        maps.append((old, new))
    overrides = {"--data": args.data}
    for entry in steps:
        argv: list[str] = []
        skip = False
        for i, arg in enumerate(entry["argv"]):
            if skip:
                skip = False
                continue
            if entry["step"] == "convert" and arg in ("--version", "--out"):
                skip = True  # the remade bundle takes the first free version in --out
                continue
            if i > 0 and entry["argv"][i - 1] in overrides and overrides[entry["argv"][i - 1]] is not None:
                arg = str(overrides[entry["argv"][i - 1]])
            for old, new in maps:
                if arg == old or arg.startswith(old + "/"):
                    arg = new + arg[len(old) :]
            argv.append(arg)
        if entry["step"] == "convert":
            argv += ["--out", str(args.out)]
        _step(argv)
    _step(["bundle", "--run-dir", str(args.run_dir), "--out", str(args.out)])
    version = json.loads((args.run_dir / "model_meta.json").read_text())["version"]
    print(f"remade {args.bundle.name} as {Path(args.out) / version} from its {len(steps)} recorded steps")
    return 0


def _step(argv: list[str]) -> None:
    """Run one step in a fresh interpreter (so evaluation can pin TensorFlow to one thread)."""
    cmd = [sys.executable, "-m", "model_pipeline", *argv]
    print(f"$ {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    result = subprocess.run(cmd, env=env, check=False)  # noqa: S603 - our own CLI
    if result.returncode != 0:
        raise PipelineError(f"step {argv[0]} failed with exit code {result.returncode}")


def cmd_demo(args) -> int:
    """synth -> train -> convert -> evaluate -> bundle -> validate, all on SYNTHETIC data."""
    start = time.monotonic()
    work = Path(args.workdir)
    data, run, out = work / "data", work / "run", Path(args.out) if args.out else work / "tflite_artifacts"
    if run.exists() and any(run.iterdir()):
        raise PipelineError(f"{run} is not empty: pass a fresh --workdir")
    if not (data / "HAM10000_metadata.csv").is_file():
        _step(["synth", "--out", str(data), "--images", str(args.images), "--seed", str(args.seed)])
    sets = [
        "--set",
        f"image_size={args.image_size}",
        "--set",
        f"epochs={args.epochs}",
        "--set",
        f"members={json.dumps(DEMO_MEMBERS if not args.tiny else TINY_MEMBERS)}",
        "--set",
        "representative_samples=70",
        "--set",
        "patience=100",
        # the demo's small, briefly trained members keep more int8 agreement with per-channel weights
        # (synthetic demo: 97.8% vs 95.0% per-tensor, still 3.7x smaller than the .h5)
        "--set",
        "int8_per_channel=true",
    ]
    for item in args.set or []:
        sets += ["--set", item]
    _step(["train", "--data", str(data), "--run-dir", str(run), *sets])
    version_args = ["--version", args.version] if args.version else []
    _step(["convert", "--data", str(data), "--run-dir", str(run), "--out", str(out), *version_args])
    _step(["evaluate", "--data", str(data), "--run-dir", str(run), "--latency-runs", str(args.latency_runs)])
    _step(["bundle", "--run-dir", str(run), "--out", str(out)])
    version = json.loads((run / "model_meta.json").read_text())["version"]
    _step(["validate", str(out / version)])
    print(f"demo finished in {(time.monotonic() - start) / 60:.1f} min: SYNTHETIC bundle {out / version}")
    return 0


DEMO_MEMBERS = [{"arch": "dsnet", "width": 0.5, "seed": 1}, {"arch": "dsnet", "width": 0.35, "seed": 2}]
TINY_MEMBERS = [{"arch": "dsnet", "width": 0.25, "seed": 1, "dropout": 0.0}, {"arch": "dsnet", "width": 0.25, "seed": 2, "dropout": 0.0}]


def _data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", type=Path, help="dataset root in HAM10000 layout (HAM10000_metadata.csv + images)")
    p.add_argument("--isic-csv", type=Path, help="ISIC 2018 Task 3 ground-truth CSV (instead of --data)")
    p.add_argument("--images", type=Path, help="folder holding <image_id>.jpg (default: the official folders)")
    p.add_argument("--ham-metadata", type=Path, help="with --isic-csv: HAM10000 metadata, for lesion ids")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m model_pipeline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="step", required=True)

    p = sub.add_parser("synth", help="write a SYNTHETIC dataset in the HAM10000 layout")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--width", type=int, default=200)
    p.add_argument("--height", type=int, default=150)
    p.set_defaults(func=cmd_synth)

    p = sub.add_parser("train", help="train the ensemble into a run directory (model.h5, config, split)")
    _data_args(p)
    p.add_argument("--split-file", type=Path, help="reuse an existing split.csv")
    p.add_argument(
        "--add-unlisted",
        action="store_true",
        help="with --split-file: images it does not list train too, unless their lesion validates (the validation side stays as it was)",
    )
    p.add_argument("--extra", type=Path, action="append", help="another dataset in HAM10000 layout: its trainable half trains too (repeatable)")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--config", type=Path, help="JSON config file (TrainConfig fields)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field (repeatable)")
    p.add_argument(
        "--resume", action="store_true", help="go on with an interrupted run in --run-dir (same config; every epoch is checkpointed)"
    )
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("assemble", help="build model.h5 from the members that finished training")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--members", type=int, help="use the first N members (default: those finished)")
    p.add_argument(
        "--tta-transpose",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run each member on the transposed image and average (default: as configured)",
    )
    p.add_argument(
        "--tta-flips",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run each member on the three mirror images and average (default: as configured)",
    )
    p.add_argument(
        "--add-members-from",
        type=Path,
        action="append",
        metavar="DIR",
        help="also average every member of this bundle or run (model.h5 + config.json; members trained at a lower input size see the input resized inside the model); repeatable",
    )
    p.add_argument(
        "--input-size",
        type=int,
        metavar="PX",
        help="the model's input side, above this run's own (its members then see the input resized to the size they were trained at)",
    )
    p.add_argument(
        "--dead-channel-var",
        type=float,
        metavar="VAR",
        help="replace batch-norm channels with running variance below VAR by their constant output (config dead_channel_var; 0 = off)",
    )
    p.set_defaults(func=cmd_assemble)

    p = sub.add_parser("qat", help="quantisation-aware fine-tuning of model.h5 (before convert)")
    _data_args(p)
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--learning-rate", type=float, default=5e-5)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument(
        "--distill", type=float, default=1.0, help="weight of the incoming model's probabilities in the target (rest: the label)"
    )
    p.add_argument(
        "--snap",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="store the kernels on their int8 grid (the weights QAT trained), so weight rounding in convert is exact",
    )
    p.set_defaults(func=cmd_qat)

    p = sub.add_parser("reexport", help="a run directory from a published bundle (same model.h5 and split), to convert it again")
    p.add_argument("bundle", type=Path, help="the published bundle directory")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--reason", required=True, help="why it is re-exported (recorded as training.reexport_of.reason)")
    p.set_defaults(func=cmd_reexport)

    p = sub.add_parser("convert", help="model.h5 -> int8 + fp16 TFLite with metadata")
    _data_args(p)
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--version", help="bundle version (default: YYYY.MM.DD-<dataset>-rN, first free N in --out)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="bundle root (to pick a free version)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("evaluate", help="evaluate h5/int8/fp16 on the validation split")
    _data_args(p)
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--latency-runs", type=int, default=100)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("loso", help="leave-one-source-out: one run per source held out, and what transfers")
    _data_args(p)
    p.add_argument("--out-dir", type=Path, required=True, help="one run directory per fold, plus loso.json / loso.md")
    p.add_argument("--config", type=Path, help="JSON config file (TrainConfig fields)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a config field (repeatable)")
    p.add_argument("--source", action="append", help="only these held-out sources (repeatable; default: every source)")
    p.add_argument("--mass", type=float, help="high-risk mass the referral figures use (default: the product's default)")
    p.add_argument("--split-file", type=Path, help="also train the same recipe on this lesion split (the reference fold 'split')")
    p.add_argument("--external", type=Path, action="append", help="score every fold on this dataset's held-out half too (repeatable)")
    p.set_defaults(func=cmd_loso)

    p = sub.add_parser("refit-head", help="refit the member heads on more varied data, backbones frozen (before ood and convert)")
    _data_args(p)
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--extra", type=Path, action="append", help="another dataset in HAM10000 layout: its trainable half joins (repeatable)")
    p.add_argument("--pull", type=float, help="L2 pull towards the current heads (default: chosen on an inner lesion hold-out)")
    p.set_defaults(func=cmd_refit_head)

    p = sub.add_parser("ood", help="'cannot assess': measure out-of-distribution scores, give model.h5 the chosen second output (before convert)")
    _data_args(p)
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--extra-lesions", action="append", metavar="NAME=DIR", help="another lesion set (HAM10000 layout) to report refusal on; repeatable")
    p.add_argument("--dim", type=int, action="append", help="Mahalanobis dimensions to measure, each on the lowest- and the highest-variance directions (repeatable; default 64 128 256 512)")
    p.add_argument("--seed", type=int, default=0, help="seed of the non-lesion sets")
    p.add_argument("--score", choices=("auto", "msp", "mahalanobis"), default="auto", help="the rule's score (auto: the one refusing most non-lesion images)")
    p.set_defaults(func=cmd_ood)

    p = sub.add_parser("bundle", help="write the immutable bundle <out>/<version>/ and validate it")
    p.add_argument("--run-dir", type=Path, required=True)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.set_defaults(func=cmd_bundle)

    p = sub.add_parser("remake", help="rebuild a bundle from the lineage in its manifest, into a new run directory and version")
    p.add_argument("bundle", type=Path)
    p.add_argument("--run-dir", type=Path, required=True, help="a fresh run directory")
    p.add_argument("--data", type=Path, help="your dataset root, in place of the one recorded")
    p.add_argument("--map", action="append", metavar="OLD=NEW", help="replace a recorded path prefix (repeatable), e.g. another --extra folder")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    p.set_defaults(func=cmd_remake)

    p = sub.add_parser("validate", help="check a bundle: schema, hashes, golden vectors, models load")
    p.add_argument("bundle", type=Path)
    p.add_argument("--no-models", action="store_true", help="skip loading the models (no TensorFlow needed)")
    p.add_argument(
        "--allow-dynamic-batch",
        action="store_true",
        help="accept .tflite files with a dynamic batch (-1), as exported up to r19 (the app's LiteRT.js refuses them)",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("demo", help="the whole pipeline on SYNTHETIC data (< 15 min on 2 CPU cores)")
    p.add_argument("--workdir", type=Path, default=Path("runs/demo"))
    p.add_argument("--out", type=Path, help="bundle root (default: <workdir>/tflite_artifacts)")
    p.add_argument("--images", type=int, default=2000)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--version")
    p.add_argument("--latency-runs", type=int, default=100)
    p.add_argument("--tiny", action="store_true", help="tiny members (tests)")
    p.add_argument("--set", action="append", metavar="KEY=VALUE")
    p.set_defaults(func=cmd_demo)
    return parser


# Steps that change a run directory: each is appended to its lineage.json (see model_pipeline.rundir).
RECORDED_STEPS = ("train", "assemble", "qat", "reexport", "refit-head", "ood", "convert", "evaluate")
_NOT_ARTEFACTS = ("lineage.json",)


def _snapshot(run_dir: Path) -> dict[str, tuple[int, int]]:
    if not run_dir.is_dir():
        return {}
    return {
        f.name: (f.stat().st_size, f.stat().st_mtime_ns)
        for f in run_dir.iterdir()
        if f.is_file() and f.name not in _NOT_ARTEFACTS and ".tmp" not in f.name and not f.name.startswith("refit-features-")
    }


def _record_lineage(step: str, argv: list[str], run_dir: Path, before: dict, inputs: dict[str, Path]) -> None:
    """Append the step to the run's lineage: its command line, what it read, what it wrote (with hashes)."""
    from model_pipeline.pipeline import code_revision
    from model_pipeline.rundir import RunDir

    after = _snapshot(run_dir)
    written = sorted(name for name, stamp in after.items() if before.get(name) != stamp)
    outputs: dict[str, Path] = {}
    for name in written:
        if name.startswith("model") and name.endswith(".h5"):
            outputs["model"] = run_dir / name
        elif name.startswith("config") and name.endswith(".json"):
            outputs["config"] = run_dir / name
        else:
            outputs[name] = run_dir / name
    RunDir(run_dir).record(step, argv, inputs={k: p for k, p in inputs.items() if p.is_file()}, outputs=outputs, code_revision=code_revision())


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    run_dir: Path | None = getattr(args, "run_dir", None)
    recorded = args.step in RECORDED_STEPS and run_dir is not None
    if recorded and run_dir is not None:
        from model_pipeline.rundir import RunDir

        rd = RunDir(run_dir)
        before = _snapshot(rd.path)
        inputs = {"model": rd.current("model"), "config": rd.current("config")} if before else {}
    try:
        rc = args.func(args)
        if recorded and rc == 0:
            _record_lineage(args.step, argv, rd.path, before, inputs)
        return rc
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
