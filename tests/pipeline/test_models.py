"""Ensemble building blocks: test-time-augmentation views, warm starts, per-member schedules."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lesion_contract.labels import LABELS
from model_pipeline.config import MemberSpec, TrainConfig
from model_pipeline.data.tfdata import class_sample_weights
from model_pipeline.errors import ConfigError
from model_pipeline.rundir import RunDir

SIZE = 32


@pytest.fixture(scope="module")
def members():
    from model_pipeline.models.ensemble import build_member

    specs = (MemberSpec(width=0.5, seed=1, dropout=0.0), MemberSpec(width=0.35, seed=2, dropout=0.0))
    return specs, [build_member(spec, i, SIZE) for i, spec in enumerate(specs)]


def _images(n: int = 6) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(n, SIZE, SIZE, 3)).astype(np.float32)


def _mirrored(v: np.ndarray) -> list[np.ndarray]:
    """The four mirror views the TTA ensemble averages over, as contiguous arrays."""
    return [np.ascontiguousarray(w) for w in (v, v[:, :, ::-1], v[:, ::-1], v[:, ::-1, ::-1])]


def _write_bundle(folder, models, specs, size: int):
    """An earlier bundle: its members as a mirror-TTA ensemble (nested sub-models) + its config.json."""
    import json

    from model_pipeline.models.ensemble import build_ensemble

    folder.mkdir()
    build_ensemble(models, specs, size, tta_flips=True).save(folder / "model.h5", include_optimizer=False)
    (folder / "config.json").write_text(json.dumps(TrainConfig(image_size=size, members=specs, tta_flips=True).to_dict()))
    return folder


def _write_run_with_one_member(folder, size: int = SIZE):
    """A run at ``size`` px with one finished member of its own; returns that member."""
    import json

    from model_pipeline.models.ensemble import build_member

    folder.mkdir()
    own_spec = MemberSpec(width=0.25, seed=7, dropout=0.0)
    own = build_member(own_spec, 0, size)
    own.save_weights(folder / "member0.best.weights.h5")
    (folder / "config.json").write_text(json.dumps(TrainConfig(image_size=size, members=(own_spec,), tta_flips=True).to_dict()))
    (folder / "training_history.json").write_text(json.dumps({"members": [{}]}))
    return own


def test_flip_tta_averages_members_over_the_four_mirror_images(members):
    from model_pipeline.models.ensemble import build_ensemble

    specs, models = members
    x = _images()
    ensemble = build_ensemble(models, specs, SIZE, tta_flips=True)
    views = [x, x[:, :, ::-1], x[:, ::-1], x[:, ::-1, ::-1]]
    expected = np.mean([np.asarray(m(np.ascontiguousarray(v), training=False)) for m in models for v in views], axis=0)
    got = np.asarray(ensemble(x, training=False))
    np.testing.assert_allclose(got, expected, atol=1e-5)
    both = build_ensemble(models, specs, SIZE, tta_flips=True, tta_transpose=True)
    views += [v.transpose(0, 2, 1, 3) for v in views]
    expected8 = np.mean([np.asarray(m(np.ascontiguousarray(v), training=False)) for m in models for v in views], axis=0)
    np.testing.assert_allclose(np.asarray(both(x, training=False)), expected8, atol=1e-5)


def test_flip_tta_survives_h5_and_int8_conversion(members, tmp_path):
    import keras

    from model_pipeline.export.quantization import Quantization
    from model_pipeline.export.tflite import convert
    from model_pipeline.models.ensemble import build_ensemble

    specs, models = members
    ensemble = build_ensemble(models, specs, SIZE, tta_flips=True)
    ensemble.save(tmp_path / "m.h5", include_optimizer=False)
    loaded = keras.models.load_model(tmp_path / "m.h5", compile=False)
    x = _images()
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), np.asarray(ensemble(x, training=False)), atol=1e-6)
    flat = convert(loaded, Quantization.for_int8(x.astype(np.uint8), per_channel=True))
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_content=flat)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    scale, zero = out["quantization"]
    for image, reference in zip(x.astype(np.uint8), np.asarray(ensemble(x, training=False)), strict=True):
        interp.set_tensor(inp["index"], image[None])
        interp.invoke()
        probs = (interp.get_tensor(out["index"])[0].astype(np.float32) - zero) * scale
        assert np.abs(probs - reference).max() < 0.06


def test_warm_start_from_an_ensemble_h5_at_a_new_input_size(members, tmp_path):
    from model_pipeline.models.ensemble import build_ensemble, build_member
    from model_pipeline.train import warm_start

    specs, models = members
    for tta in (False, True):
        folder = tmp_path / f"tta{tta}"
        folder.mkdir()
        build_ensemble(models, specs, SIZE, tta_flips=tta).save(folder / "model.h5", include_optimizer=False)
        fresh = build_member(dataclasses.replace(specs[1], seed=99), 1, 48)
        assert warm_start(fresh, 1, folder)
        for a, b in zip(fresh.weights, models[1].weights, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        # a member the ensemble does not have trains from scratch; a different architecture is an error
        assert not warm_start(build_member(specs[0], 2, SIZE), 2, folder)
        with pytest.raises(ConfigError, match="does not fit"):
            warm_start(build_member(MemberSpec(width=1.0, seed=1), 0, SIZE), 0, folder)


def test_assemble_adds_the_members_of_another_ensemble(members, tmp_path):
    import json

    import keras

    from model_pipeline.errors import DatasetError
    from model_pipeline.pipeline import assemble_run

    specs, models = members
    bundle = _write_bundle(tmp_path / "bundle", models, specs, SIZE)
    run = tmp_path / "run"
    own = _write_run_with_one_member(run)

    assemble_run(run, add_from=(bundle,))
    combined = keras.models.load_model(RunDir(run).current("model"), compile=False)
    x = _images()
    expected = np.mean([np.asarray(m(v, training=False)) for m in (own, *models) for v in _mirrored(x)], axis=0)
    np.testing.assert_allclose(np.asarray(combined(x, training=False)), expected, atol=1e-5)
    saved = TrainConfig.from_file(RunDir(run).current("config"))
    assert [m.origin for m in saved.members] == [None, "bundle member 0", "bundle member 1"]
    assert [m.width for m in saved.members] == [0.25, 0.5, 0.35]

    # members trained at a higher input size are refused, with both sizes named (the model only scales down)
    (bundle / "config.json").write_text(json.dumps(TrainConfig(image_size=48, members=specs).to_dict()))
    with pytest.raises(DatasetError, match="trained at 48 px, above this run's 32 px"):
        assemble_run(run, add_from=(bundle,))


def test_assemble_a_multi_resolution_ensemble_that_survives_h5_and_int8(members, tmp_path):
    """Members trained at 24 px join a 32 px run: the model resizes its input for them, in .h5 and int8."""

    import keras
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    from model_pipeline.export.quantization import Quantization
    from model_pipeline.export.tflite import convert
    from model_pipeline.models.ensemble import build_member
    from model_pipeline.pipeline import assemble_run

    specs, models = members
    low = 24
    low_models = []
    for i, (spec, model) in enumerate(zip(specs, models, strict=True)):
        m = build_member(spec, i, low)
        m.set_weights(model.get_weights())
        low_models.append(m)
    bundle = _write_bundle(tmp_path / "bundle24", low_models, specs, low)
    run = tmp_path / "run"
    own = _write_run_with_one_member(run)

    assemble_run(run, add_from=(bundle,))
    saved = TrainConfig.from_file(RunDir(run).current("config"))
    assert [m.image_size for m in saved.members] == [None, low, low]
    assert saved.image_size == SIZE
    combined = keras.models.load_model(RunDir(run).current("model"), compile=False)
    assert combined.input_shape == (None, SIZE, SIZE, 3)

    x = _images()
    x_low = np.asarray(tf.image.resize(x, (low, low), method="bilinear"))
    outputs = [np.asarray(own(v, training=False)) for v in _mirrored(x)]
    outputs += [np.asarray(m(v, training=False)) for m in low_models for v in _mirrored(x_low)]
    expected = np.mean(outputs, axis=0)
    np.testing.assert_allclose(np.asarray(combined(x, training=False)), expected, atol=1e-5)

    # the in-model resize converts to a built-in int8 op: the quantised model tracks the float one
    flat = convert(combined, Quantization.for_int8(x.astype(np.uint8), per_channel=True))
    interp = Interpreter(model_content=flat)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    assert tuple(inp["shape"]) == (1, SIZE, SIZE, 3)
    scale, zero = out["quantization"]
    for image, reference in zip(x.astype(np.uint8), expected, strict=True):
        interp.set_tensor(inp["index"], image[None])
        interp.invoke()
        probs = (interp.get_tensor(out["index"])[0].astype(np.float32) - zero) * scale
        assert np.abs(probs - reference).max() < 0.06


def test_training_refuses_a_member_image_size_of_its_own(tmp_path):
    from model_pipeline.train import train_member

    cfg = TrainConfig(image_size=SIZE, members=(MemberSpec(image_size=24),))
    x, y = np.zeros((1, SIZE, SIZE, 3), np.float32), np.zeros(1, np.int64)
    with pytest.raises(ConfigError, match="a member trains at the run's image_size"):
        train_member(cfg.members[0], 0, cfg, x, y, x, y, tmp_path)
    with pytest.raises(ConfigError, match=r"members\[0\].image_size must be an integer"):
        TrainConfig(members=(MemberSpec(image_size=8),)).validate()


def test_member_schedule_overrides_and_class_boost():
    from model_pipeline.train import _Schedule

    cfg = TrainConfig(learning_rate=3e-3, epochs=40, warmup_epochs=2, max_minutes_per_member=30)
    tuned = _Schedule(cfg, 10, MemberSpec(learning_rate=1e-3, epochs=5, warmup_epochs=1, max_minutes=4))
    assert (tuned.learning_rate, tuned.total_epochs, tuned.warmup_epochs, tuned.budget) == (1e-3, 5, 1, 4)
    default = _Schedule(cfg, 10, MemberSpec())
    assert (default.learning_rate, default.total_epochs, default.warmup_epochs, default.budget) == (3e-3, 40, 2, 30)
    assert tuned.lr_at(9) == pytest.approx(1e-3) and tuned.lr_at(49) < 1e-4

    labels = np.array([0] * 10 + [4] * 10 + [5] * 80)
    boost = np.array([1.5 if label == "mel" else 1.0 for label in LABELS])
    weights, per_class = class_sample_weights(labels, len(LABELS), 1.0, boost)
    assert weights.mean() == pytest.approx(1.0)
    assert per_class[4] == pytest.approx(1.5 * per_class[0])
    with pytest.raises(ConfigError, match="unknown label 'melanoma'"):
        TrainConfig(class_weight_boost={"melanoma": 2.0}).validate()
    with pytest.raises(ConfigError, match="must be a number"):
        TrainConfig(class_weight_boost={"mel": 0}).validate()


def test_aspect_jitter_stretches_one_axis_against_the_other():
    import tensorflow as tf

    from model_pipeline.config import AugmentConfig
    from model_pipeline.data.tfdata import augment_batch

    # A centred 16x16 white square; only the geometric part of augmentation is switched on.
    img = np.zeros((32, 64, 64, 3), np.float32)
    img[:, 24:40, 24:40] = 255.0
    geometric = dict(flips=False, rotation_degrees=0.0, zoom=(1.0, 1.0), translate=0.0, brightness=0.0, contrast=0.0, saturation=0.0)

    def extents(cfg: AugmentConfig) -> np.ndarray:
        out = augment_batch(tf.constant(img), cfg, tf.random.Generator.from_seed(3)).numpy()[..., 0] > 127
        return np.stack([out.any(axis=1).sum(axis=1), out.any(axis=2).sum(axis=1)], axis=1)  # (width, height)

    plain = extents(AugmentConfig(**geometric, aspect=0.0))
    assert (plain == 16).all()
    stretched = extents(AugmentConfig(**geometric, aspect=0.2))
    ratio = stretched[:, 0] / stretched[:, 1]
    assert ratio.max() > 1.15 and ratio.min() < 1 / 1.15  # both directions occur
    assert (ratio < np.exp(0.4) * 1.15).all() and (ratio > np.exp(-0.4) / 1.15).all()  # bounded by exp(+-2a)
    with pytest.raises(ConfigError, match="augment.aspect"):
        TrainConfig(augment=AugmentConfig(aspect=0.9)).validate()


def test_balanced_sampling_draws_classes_by_their_weight_share_with_unit_weights():
    import keras

    from model_pipeline.config import AugmentConfig
    from model_pipeline.data.tfdata import class_sampling_probs, train_dataset

    # 80 nv, 12 mel, 8 df, no vasc: fully balanced weights with melanoma x1.5.
    labels = np.array([LABELS.index("nv")] * 80 + [LABELS.index("mel")] * 12 + [LABELS.index("df")] * 8)
    images = np.zeros((len(labels), 8, 8, 3), np.uint8)
    images[..., 0] = labels[:, None, None]  # the class is readable back from the pixels
    boost = np.array([1.5 if label == "mel" else 1.0 for label in LABELS])
    weights, per_class = class_sample_weights(labels, len(LABELS), 1.0, boost)
    probs = class_sampling_probs(labels, len(LABELS), per_class)
    assert probs[LABELS.index("vasc")] == 0 and probs.sum() == pytest.approx(1.0)
    assert probs[LABELS.index("mel")] == pytest.approx(1.5 * probs[LABELS.index("nv")])

    plain = AugmentConfig(flips=False, rotation_degrees=0.0, zoom=(1.0, 1.0), translate=0.0, brightness=0.0, contrast=0.0, saturation=0.0)
    ds = train_dataset(images, labels, weights, n_classes=len(LABELS), batch_size=10, augment=plain, seed=5, class_probs=probs)
    epochs = [list(ds.as_numpy_iterator()) for _ in range(40)]
    assert all(len(e) == len(labels) // 10 for e in epochs)  # an epoch is still len // batch batches
    drawn = np.concatenate([b[1].argmax(axis=1) for e in epochs for b in e])
    pixels = np.concatenate([b[0][:, 0, 0, 0] for e in epochs for b in e]).round().astype(int)
    assert (drawn == pixels).all()  # labels travel with their own images
    assert all((b[2] == 1.0).all() for e in epochs for b in e)  # the balancing is in the sampling, not the loss
    share = np.bincount(drawn, minlength=len(LABELS)) / len(drawn)  # 4,000 draws
    assert np.abs(share - probs).max() < 0.04
    assert not all((a[1] == b[1]).all() for a, b in zip(epochs[0], epochs[1], strict=True))  # new draws each epoch

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten(), keras.layers.Dense(len(LABELS), activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(ds, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2

    with pytest.raises(ConfigError, match="sampling must be"):
        TrainConfig(sampling="oversample").validate()


def test_mixup_blends_images_and_keeps_the_class_weighted_loss_exact():
    import tensorflow as tf

    from model_pipeline.config import AugmentConfig
    from model_pipeline.data.tfdata import mixup_batch, train_dataset

    rng = np.random.default_rng(0)
    n = 64
    labels = rng.integers(0, len(LABELS), n)
    y = np.eye(len(LABELS), dtype=np.float32)[labels]
    w = rng.uniform(0.2, 5.0, n).astype(np.float32)
    x = np.eye(n, dtype=np.float32)[:, None, :, None]  # image i is a single bright pixel in column i
    mx, my, mw = (t.numpy() for t in mixup_batch(tf.constant(x), tf.constant(y), tf.constant(w), 0.4, tf.random.Generator.from_seed(1)))

    np.testing.assert_allclose(my.sum(axis=1), 1.0, atol=1e-5)
    p = rng.dirichlet(np.ones(len(LABELS)), n).astype(np.float32)
    logp = np.log(p)
    lams = []
    for i in range(n):
        row = mx[i, 0, :, 0]
        lam = row[i]
        others = np.flatnonzero((row > 1e-6) & (np.arange(n) != i))
        assert 0.5 - 1e-6 <= lam <= 1.0 + 1e-6 and len(others) <= 1  # each image leads its own blend with one partner
        j = int(others[0]) if len(others) else i
        np.testing.assert_allclose(row.sum(), 1.0, atol=1e-5)  # a convex blend
        a, b = lam * w[i], (1.0 - lam) * w[j]
        np.testing.assert_allclose(mw[i], a + b, rtol=1e-5)
        # The loss identity for any prediction: w' * CE(y', p) == a * CE(y_i, p) + b * CE(y_j, p).
        np.testing.assert_allclose(mw[i] * -(my[i] * logp[i]).sum(), a * -logp[i, labels[i]] + b * -logp[i, labels[j]], rtol=1e-4)
        lams.append(lam)
    assert np.mean(np.array(lams) < 0.95) > 0.2  # Beta(0.4, 0.4) folded: a real share is blended noticeably

    # Off by default: labels stay one-hot; switched on, the same seed yields blended images.
    plain = dict(flips=False, rotation_degrees=0.0, zoom=(1.0, 1.0), translate=0.0, brightness=0.0, contrast=0.0, saturation=0.0)
    images = (x * 255).astype(np.uint8)
    off = next(iter(train_dataset(images, labels, w, n_classes=len(LABELS), batch_size=32, augment=AugmentConfig(**plain), seed=2)))
    on = next(
        iter(train_dataset(images, labels, w, n_classes=len(LABELS), batch_size=32, augment=AugmentConfig(**plain, mixup=0.4), seed=2))
    )
    assert set(np.unique(off[1].numpy())) <= {0.0, 1.0}
    assert not np.array_equal(on[0].numpy(), off[0].numpy())
    with pytest.raises(ConfigError, match="augment.mixup"):
        TrainConfig(augment=AugmentConfig(mixup=-0.1)).validate()


def test_batch_norm_recalibration_sets_the_exact_mean_of_the_images():
    import keras

    from model_pipeline.train import recalibrate_batch_norm

    inner = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.BatchNormalization(momentum=0.9, name="bn")], name="inner")
    model = keras.Sequential([keras.Input((4, 4, 3)), inner])  # nested, as in a test-time-augmentation ensemble
    rng = np.random.default_rng(3)
    images = (rng.random((50, 4, 4, 3)) * np.array([10.0, 100.0, 200.0])).astype(np.uint8)
    batches = recalibrate_batch_norm(model, images, batch_size=10, seed=1)
    bn = inner.get_layer("bn")
    assert batches == 5 and bn.momentum == 0.9  # momentum restored afterwards
    x = images.astype(np.float64)
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=(0, 1, 2)), rtol=1e-4)
    order = np.random.default_rng(1).permutation(50)  # the mean of the five batches' variances
    batch_var = np.mean([x[order[i : i + 10]].var(axis=(0, 1, 2)) for i in range(0, 50, 10)], axis=0)
    np.testing.assert_allclose(bn.moving_variance.numpy(), batch_var, rtol=1e-3)

    # a per-batch transform (the training augmentation in test_time_variants.py) is applied first
    recalibrate_batch_norm(model, images, batch_size=10, seed=1, transform=lambda batch: batch + 10.0)
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=(0, 1, 2)) + 10.0, rtol=1e-4)


def test_weight_averaging_trains_on_a_constant_rate_and_averages_the_last_epochs(tmp_path):
    import keras

    from model_pipeline.train import _Schedule, _WeightAverage, train_member

    cfg = TrainConfig(learning_rate=1e-3, epochs=6, warmup_epochs=1, swa_epochs=3)
    schedule = _Schedule(cfg, 10)
    assert schedule.lr_at(4) < 1e-3 and schedule.lr_at(10) == schedule.lr_at(59) == pytest.approx(1e-3)

    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="d")])
    average = _WeightAverage(schedule, 3)
    average.set_model(model)
    kernels = []
    for epoch in range(6):  # weights set by hand: the callback sees them at each epoch's end
        kernel = np.full((2, 1), float(epoch), np.float32)
        model.get_layer("d").kernel.assign(kernel)
        kernels.append(kernel)
        average.on_epoch_end(epoch)
    assert average.epochs == [4, 5, 6]
    average.apply(model)
    np.testing.assert_allclose(model.get_layer("d").kernel.numpy(), np.mean(kernels[3:], axis=0))
    with pytest.raises(ConfigError, match="swa_epochs"):
        TrainConfig(swa_epochs=-1).validate()

    # a real (tiny) member: no early stopping even with patience 1, the averaged weights are saved
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(len(LABELS)), 4)
    x = rng.integers(0, 256, size=(len(y), SIZE, SIZE, 3)).astype(np.uint8)
    cfg = TrainConfig(
        image_size=SIZE,
        epochs=4,
        warmup_epochs=1,
        batch_size=8,
        patience=1,
        swa_epochs=2,
        learning_rate=1e-3,
        members=(MemberSpec(width=0.35, seed=3),),
    )
    result = train_member(cfg.members[0], 0, cfg, x, y, x[:10], y[:10], tmp_path)
    assert len(result.history) == 4 and result.swa["epochs"] == [3, 4] and result.swa["batch_norm_batches"] == 3
    assert (tmp_path / "member0.best.weights.h5").is_file() and (tmp_path / "member0.best_epoch.weights.h5").is_file()
    saved = keras.models.clone_model(result.model)
    saved.load_weights(tmp_path / "member0.best.weights.h5")
    for a, b in zip(saved.weights, result.model.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_report_says_whether_the_split_chose_the_epoch():
    import json
    from pathlib import Path

    from model_pipeline.evaluate import markdown_report

    bundle = sorted(Path(__file__).resolve().parents[2].glob("tflite_artifacts/*/report.json"))[-1]
    report = json.loads(bundle.read_text())
    report.pop("epoch_chosen_on_split", None)  # reports written before the key existed
    assert "the same split chose the best epoch and the thresholds" in markdown_report(report)
    report["epoch_chosen_on_split"] = False  # a weight-averaged (SWA) run
    text = markdown_report(report)
    assert "the same split chose the thresholds" in text and "best epoch" not in text


def test_assemble_raises_the_input_size_so_a_lower_resolution_run_joins_a_higher_one(members, tmp_path):
    """A run trained at 24 px joins a 32 px bundle: with --input-size 32 its own member sees the input resized."""

    import keras
    import tensorflow as tf

    from model_pipeline.errors import ConfigError
    from model_pipeline.pipeline import assemble_run

    specs, models = members
    low = 24
    bundle = _write_bundle(tmp_path / "bundle", models, specs, SIZE)
    run = tmp_path / "run"
    own = _write_run_with_one_member(run, size=low)

    with pytest.raises(ConfigError, match="between this run's 24 px and 512"):
        assemble_run(run, add_from=(bundle,), input_size=16)
    assemble_run(run, add_from=(bundle,), input_size=SIZE)
    saved = TrainConfig.from_file(RunDir(run).current("config"))
    assert saved.image_size == SIZE
    assert [m.image_size for m in saved.members] == [low, None, None]
    combined = keras.models.load_model(RunDir(run).current("model"), compile=False)
    assert combined.input_shape == (None, SIZE, SIZE, 3)

    x = _images()
    x_low = np.asarray(tf.image.resize(x, (low, low), method="bilinear"))
    outputs = [np.asarray(own(v, training=False)) for v in _mirrored(x_low)]
    outputs += [np.asarray(m(v, training=False)) for m in models for v in _mirrored(x)]
    np.testing.assert_allclose(np.asarray(combined(x, training=False)), np.mean(outputs, axis=0), atol=1e-5)

    # assembling again reads the saved config: the own member keeps its trained size
    assemble_run(run, n_members=1)
    again = TrainConfig.from_file(RunDir(run).current("config"))
    assert again.image_size == SIZE and [m.image_size for m in again.members] == [low]
    np.testing.assert_allclose(
        np.asarray(keras.models.load_model(RunDir(run).current("model"), compile=False)(x, training=False)),
        np.mean(outputs[:4], axis=0),
        atol=1e-5,
    )


def test_dead_batch_norm_channels_become_their_constant_without_changing_the_model(members):
    from model_pipeline.config import TrainConfig
    from model_pipeline.models.ensemble import build_ensemble, build_member, zero_dead_channels

    specs, models = members
    x = _images()
    member = build_member(specs[0], 0, SIZE)
    member.set_weights(models[0].get_weights())
    # make two stem channels and one depthwise channel dead: near-zero input, near-zero running variance
    conv, norm = member.get_layer("m0_stem_conv"), member.get_layer("m0_stem_bn")
    kernel = conv.get_weights()
    kernel[0][..., [1, 3]] *= 1e-7
    conv.set_weights(kernel)
    gamma, beta, mean, var = norm.get_weights()
    gamma[[1, 3]], beta[[1, 3]], var[[1, 3]] = 40.0, [0.5, -0.25], 1e-12
    norm.set_weights([gamma, beta, mean, var])
    dw, dw_norm = member.get_layer("m0_b1_dw"), member.get_layer("m0_b1_dw_bn")
    dw_kernel = dw.get_weights()
    dw_kernel[0][:, :, 5, :] *= 1e-7
    dw.set_weights(dw_kernel)
    weights = dw_norm.get_weights()
    weights[3][5] = 1e-12
    dw_norm.set_weights(weights)
    before = np.asarray(build_ensemble([member], specs[:1], SIZE, tta_flips=True)(x, training=False))
    for tta in (True, False):
        cleaned = build_ensemble([member], specs[:1], SIZE, tta_flips=tta, dead_channel_var=1e-4)
        sub = cleaned.get_layer("member0") if tta else cleaned
        stem = sub.get_layer("m0_stem_conv").get_weights()[0]
        assert not stem[..., [1, 3]].any() and stem[..., 0].any()
        assert not sub.get_layer("m0_b1_dw").get_weights()[0][:, :, 5, :].any()
        g, b, m, v = sub.get_layer("m0_stem_bn").get_weights()
        assert list(g[[1, 3]]) == [0, 0] and list(v[[1, 3]]) == [1, 1] and list(b[[1, 3]]) == [0.5, -0.25]
    np.testing.assert_allclose(np.asarray(build_ensemble([member], specs[:1], SIZE, tta_flips=True, dead_channel_var=1e-4)(x, training=False)), before, atol=1e-5)
    # a second pass finds nothing left; the config field is range-checked
    assert zero_dead_channels(sub, 1e-4) == 0
    with pytest.raises(ConfigError, match="dead_channel_var"):
        TrainConfig(dead_channel_var=0.5).validate()
