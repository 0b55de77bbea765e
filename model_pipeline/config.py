"""Frozen, typed pipeline configuration: loadable from JSON, overridable with ``key=value``, saved in bundles."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lesion_contract.labels import LABELS
from lesion_contract.preprocess import COLOUR_CONSTANCY
from model_pipeline.errors import ConfigError


@dataclass(frozen=True)
class MemberSpec:
    """One ensemble member: an architecture from the registry, its width and seed."""

    arch: str = "dsnet"
    width: float = 1.0
    seed: int = 0
    dropout: float = 0.2
    # keras.applications backbones only: a local weights file the user supplies (never downloaded).
    weights_path: str | None = None
    # Per-member schedule overrides (None = the run's value): lets one run fine-tune warm-started
    # members gently while a new member trains from scratch with a full schedule.
    learning_rate: float | None = None
    epochs: int | None = None
    warmup_epochs: int | None = None
    max_minutes: float | None = None
    # Set by ``assemble --add-members-from``: the ensemble this member was copied from, untrained here.
    origin: str | None = None
    # ... and, when that ensemble was trained at another input size, the size this member sees: the
    # exported model resizes its input for it (None = the run's image_size). Training never sets it.
    image_size: int | None = None


@dataclass(frozen=True)
class AugmentConfig:
    """Training-time augmentation (applied in tf.data, never inside the exported model)."""

    flips: bool = True  # horizontal, vertical and transpose: the 8 dihedral orientations
    rotation_degrees: float = 180.0  # uniform in [-r, r]; dermoscopy has no canonical orientation
    zoom: tuple[float, float] = (0.85, 1.15)  # scale factor range (>1 zooms in)
    translate: float = 0.05  # fraction of the side
    # Aspect-ratio jitter: x and y scales differ by up to exp(+-2a) (0 = isotropic). Photos reach the
    # model squashed or stretched (a 600x450 image resized to a square, a phone's non-square crop), so
    # lesion shape should not be read from the image's aspect ratio.
    aspect: float = 0.0
    brightness: float = 0.15  # additive, fraction of 255
    contrast: float = 0.2  # multiplicative around the image mean: 1 +- c
    saturation: float = 0.2  # blend with grey: 1 +- s
    # Mixup (Zhang et al. 2018): after augmentation each image is blended with another image of the batch,
    # x = l * x_i + (1 - l) * x_j with l ~ Beta(a, a) folded to >= 0.5, and the loss is the same blend of the
    # two examples' (class-weighted) losses. 0 = off; 0.2-0.4 is the usual range.
    mixup: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a trained model; frozen into the bundle as ``config.json``."""

    image_size: int = 112
    members: tuple[MemberSpec, ...] = (
        MemberSpec(arch="dsnet", width=1.0, seed=1),
        MemberSpec(arch="dsnet", width=0.75, seed=2),
    )
    epochs: int = 40
    batch_size: int = 64
    learning_rate: float = 3e-3
    weight_decay: float = 0.02
    warmup_epochs: int = 2
    label_smoothing: float = 0.1
    # Class-imbalance handling: sample weight per class proportional to count ** -power
    # (0 = none, 0.5 = square-root balancing, 1 = fully balanced).
    class_weight_power: float = 1.0
    # Extra weight per class on top of the balancing, e.g. {"mel": 1.5}: a screening tool should trade
    # some benign specificity for melanoma sensitivity (a missed melanoma costs far more than a referral).
    class_weight_boost: dict[str, float] = field(default_factory=dict)
    # How that balancing is applied: "weights" (per-sample loss weights over naturally shuffled data) or
    # "balanced" (draw each class with probability proportional to its total weight, unit loss weights:
    # the same objective in expectation, with less noisy gradients for the rare classes).
    sampling: str = "weights"
    # "dataset": balance the classes within each dataset that trains (HAM10000, each ``train --extra`` set) instead
    # of over the pooled images, so a dataset's class mix cannot become evidence (the ISIC archive part is 59%
    # melanoma); "pooled" (every bundle up to r21) balances over all training images together.
    class_balance: str = "pooled"
    patience: int = 12  # early stopping on validation balanced accuracy
    # Stochastic weight averaging: > 0 holds the LR constant after warm-up and makes each member the
    # average of its weights at the end of its last ``swa_epochs`` epochs (batch-norm statistics then
    # recomputed over the training images), instead of the single epoch that scored best on
    # validation. No early stopping then: the member is chosen by the schedule, not by the split.
    swa_epochs: int = 0
    max_minutes_per_member: float | None = None  # wall-clock budget per member (stops early)
    val_fraction: float = 0.2
    split_seed: int = 42
    # Leave one source out: validate on this source's lesions (the metadata's ``dataset`` column, e.g.
    # "rosendahl") and train on the others, instead of the seeded lesion split. ``loso`` runs one per source.
    leave_out_source: str | None = None
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    representative_samples: int = 210  # int8 calibration images (balanced over classes)
    # int8 weights: per-tensor scales by default (smaller file, widest delegate support; on the real
    # data it kept >= 98% top-1 agreement with the .h5), per-channel when True.
    int8_per_channel: bool = False
    # Dead channels: a batch-norm channel whose running variance is below this (its input is constant over
    # the training images) is replaced, when the ensemble is built, by the constant it outputs: the conv
    # weights feeding it are zeroed and the norm keeps only its beta. The float function does not change,
    # but the folded weights (gamma / sqrt(var) times the conv kernel) no longer explode, which spoils
    # the int8 weight scales. Fine-tuned ImageNet members have hundreds of such channels; 0 = off.
    dead_channel_var: float = 0.0
    # Test-time augmentation inside the exported model: every member also sees the transposed image
    # (a built-in Permute layer; dermoscopy has no canonical orientation) and all outputs are averaged.
    tta_transpose: bool = False
    # ... and the three mirror images (horizontal, vertical, both = 180 degree rotation): 4 views, or 8
    # (all dihedral orientations) together with tta_transpose. Costs one forward pass per view.
    tta_flips: bool = False
    # Colour constancy applied to every image after the serving preprocessing (train, validation, extra
    # sets): None or "shades_of_grey" (``lesion_contract.preprocess.shades_of_grey``). An experiment for
    # now: ``convert`` refuses such a run, because the server and the app do not apply it yet.
    colour_constancy: str | None = None
    # Warm start: initialise member i from <init_from>/member<i>.best.weights.h5 (a previous run with the
    # same member architectures), or, when <init_from> is a bundle or run holding only model.h5, from
    # that ensemble's member-i layers; then train again with this config's schedule (a warm restart).
    # Convolution weights do not depend on the input size, so a warm start may change image_size.
    init_from: str | None = None
    # Quantisation-aware fine-tuning applied to model.h5 after assembly (the ``qat`` step records its
    # settings and per-epoch scores here; None = the model is the assembled one).
    qat: dict[str, Any] | None = None
    # Heads refitted on more varied data with the backbones frozen (the ``refit-head`` step records its
    # data, chosen pull and inner hold-out scores here; None = the heads are the trained ones).
    refit_head: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        return _build(cls, data, "config")

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read config ({exc})") from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: config must be a JSON object")
        return cls.from_dict(data)

    def override(self, assignments: list[str]) -> TrainConfig:
        """Apply ``key=value`` overrides (dotted keys for nested fields, JSON values)."""
        data = self.to_dict()
        for item in assignments:
            if "=" not in item:
                raise ConfigError(f"override {item!r} must look like key=value")
            key, raw = item.split("=", 1)
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                value = raw
            target = data
            parts = key.strip().split(".")
            for part in parts[:-1]:
                if not isinstance(target.get(part), dict):
                    raise ConfigError(f"unknown config key {key!r}")
                target = target[part]
            if parts[-1] not in target:
                raise ConfigError(f"unknown config key {key!r}")
            target[parts[-1]] = value
        return TrainConfig.from_dict(data)

    def validate(self) -> None:
        if not 16 <= self.image_size <= 512:
            raise ConfigError(f"image_size must be in [16, 512], got {self.image_size}")
        if not self.members:
            raise ConfigError("at least one ensemble member is required")
        for i, member in enumerate(self.members):
            if member.image_size is not None and (not isinstance(member.image_size, int) or not 16 <= member.image_size <= 512):
                raise ConfigError(f"members[{i}].image_size must be an integer in [16, 512] or null, got {member.image_size!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ConfigError("epochs and batch_size must be >= 1")
        if not 0.0 < self.val_fraction < 1.0:
            raise ConfigError("val_fraction must be in (0, 1)")
        if not isinstance(self.augment.aspect, (int, float)) or not 0.0 <= self.augment.aspect <= 0.5:
            raise ConfigError(f"augment.aspect must be a number in [0, 0.5], got {self.augment.aspect!r}")
        if not isinstance(self.augment.mixup, (int, float)) or not 0.0 <= self.augment.mixup <= 2.0:
            raise ConfigError(
                f"augment.mixup must be a number in [0, 2] (the Beta distribution's alpha; 0 = off), got {self.augment.mixup!r}"
            )
        if not isinstance(self.dead_channel_var, (int, float)) or not 0.0 <= self.dead_channel_var <= 1e-2:
            raise ConfigError(f"dead_channel_var must be a number in [0, 0.01] (0 = off), got {self.dead_channel_var!r}")
        if not isinstance(self.swa_epochs, int) or self.swa_epochs < 0:
            raise ConfigError(f"swa_epochs must be an integer >= 0, got {self.swa_epochs!r}")
        if self.qat is not None and not isinstance(self.qat, dict):
            raise ConfigError(f"qat must be an object (written by the qat step) or null, got {self.qat!r}")
        if self.class_balance not in ("pooled", "dataset"):
            raise ConfigError(f"class_balance must be 'pooled' or 'dataset', got {self.class_balance!r}")
        if self.colour_constancy is not None and self.colour_constancy not in COLOUR_CONSTANCY:
            raise ConfigError(f"colour_constancy must be null or one of {', '.join(COLOUR_CONSTANCY)}, got {self.colour_constancy!r}")
        if self.sampling not in ("weights", "balanced"):
            raise ConfigError(f"sampling must be 'weights' or 'balanced', got {self.sampling!r}")
        for label, boost in self.class_weight_boost.items():
            if label not in LABELS:
                raise ConfigError(f"class_weight_boost: unknown label {label!r}; labels are {', '.join(LABELS)}")
            if not isinstance(boost, (int, float)) or not 0 < boost <= 10:
                raise ConfigError(f"class_weight_boost[{label!r}] must be a number in (0, 10], got {boost!r}")


def _build(cls: type, data: dict[str, Any], where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        if name == "members":
            if not isinstance(value, list):
                raise ConfigError(f"{where}.members: expected a list")
            kwargs[name] = tuple(_build(MemberSpec, m, f"{where}.members[{i}]") for i, m in enumerate(value))
        elif name == "augment":
            kwargs[name] = _build(AugmentConfig, value, f"{where}.augment")
        elif name == "zoom":
            kwargs[name] = tuple(float(v) for v in value)
        else:
            kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
