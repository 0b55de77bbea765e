"""The ImageNet-initialised EfficientNet-Lite0 member: the torch-free checkpoint reader and the weight port.

The reference outputs below were computed once with PyTorch 2.13 running the ``efficientnet-lite-pytorch``
model on the same checkpoint and the same two deterministic 64 px images (see ``_images``); the Keras port
must reproduce them without torch installed.
"""

from __future__ import annotations

import collections
import pickle
import sys
import types
import zipfile

import numpy as np
import pytest

from model_pipeline.config import MemberSpec
from model_pipeline.errors import ConfigError

# top-5 ImageNet classes and their logits minus the top logit, from the PyTorch model
TORCH_TOP5 = (
    ([806, 506, 723, 808, 920], [0.0, -5.3961, -6.1697, -8.8628, -9.4106]),
    ([818, 920, 723, 626, 629], [0.0, -1.5415, -3.4261, -4.0572, -4.9595]),
)


def _images() -> np.ndarray:
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    a = np.stack([(xx * 7 + yy * 13) % 256, (xx * yy) % 256, (xx * 3 + yy * 5) % 256], -1)
    b = np.stack([xx * 4, yy * 4, (xx + yy) * 2], -1).clip(0, 255)
    return np.stack([a, b]).astype(np.float32)


def _imagenet_model(size: int = 64):
    import keras
    from keras import layers

    from model_pipeline.models.registry import build_body

    inputs = keras.Input((size, size, 3))
    x = layers.Rescaling(1 / 127.5, offset=-1.0)(inputs)
    return keras.Model(inputs, build_body(x, MemberSpec(arch="efficientnet_lite0", dropout=0.0), "m0_", 1000))


def test_packaged_imagenet_weights_reproduce_the_pytorch_model():
    from model_pipeline.models.efficientnet_lite import PACKAGED_LITE0, load_pretrained

    model = _imagenet_model()
    assert load_pretrained(model, "m0_", PACKAGED_LITE0, include_head=True) == 247  # 49 convs + 49 BNs x 4 + fc
    probs = np.asarray(model(_images(), training=False))
    for row, (top, rel) in zip(probs, TORCH_TOP5, strict=True):
        logp = np.log(row)
        assert [int(t) for t in np.argsort(-row)[:5]] == top
        np.testing.assert_allclose(logp[top] - logp[top[0]], rel, atol=2e-3)


def test_a_member_starts_from_the_imagenet_backbone_with_a_fresh_7_class_head():
    from model_pipeline.models.efficientnet_lite import PACKAGED_LITE0, resolve_weights_path
    from model_pipeline.models.ensemble import build_member
    from model_pipeline.models.torch_checkpoint import read_state_dict

    spec = MemberSpec(arch="efficientnet_lite0", seed=3, weights_path=PACKAGED_LITE0)
    member = build_member(spec, 2, 32)
    state = read_state_dict(resolve_weights_path(PACKAGED_LITE0))
    np.testing.assert_array_equal(member.get_layer("m2_stem_conv").get_weights()[0], state["_conv_stem.weight"].transpose(2, 3, 1, 0))
    np.testing.assert_array_equal(member.get_layer("m2_e15_dw_bn").get_weights()[3], state["_blocks.15._bn1.running_var"])
    assert member.get_layer("m2_probs").get_weights()[0].shape == (1280, 7)
    assert member.output.shape[-1] == 7
    # without weights_path it trains from scratch: same graph, other weights
    scratch = build_member(MemberSpec(arch="efficientnet_lite0", seed=3), 2, 32)
    assert not np.array_equal(scratch.get_layer("m2_stem_conv").get_weights()[0], member.get_layer("m2_stem_conv").get_weights()[0])


def test_imagenet_weights_refuse_another_width_or_a_missing_file(tmp_path):
    from model_pipeline.models.efficientnet_lite import PACKAGED_LITE0
    from model_pipeline.models.ensemble import build_member

    with pytest.raises(ConfigError, match="width 1.0 only"):
        build_member(MemberSpec(arch="efficientnet_lite0", width=0.5, weights_path=PACKAGED_LITE0), 0, 32)
    with pytest.raises(ConfigError, match="not found"):
        build_member(MemberSpec(arch="efficientnet_lite0", weights_path=str(tmp_path / "none.pth")), 0, 32)
    with pytest.raises(ConfigError, match="not installed"):
        build_member(MemberSpec(arch="efficientnet_lite0", weights_path="package:no_such_package_xyz/w.pth"), 0, 32)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ConfigError, match="junk.pth"):
        build_member(MemberSpec(arch="efficientnet_lite0", weights_path=str(junk)), 0, 32)


def test_an_efficientnet_lite0_member_quantises_to_int8_and_keeps_its_decisions(tmp_path):
    import keras
    from ai_edge_litert.interpreter import Interpreter

    from model_pipeline.export.quantization import Quantization
    from model_pipeline.export.tflite import convert
    from model_pipeline.models.efficientnet_lite import PACKAGED_LITE0
    from model_pipeline.models.ensemble import build_ensemble, build_member

    spec = MemberSpec(arch="efficientnet_lite0", seed=1, dropout=0.0, weights_path=PACKAGED_LITE0)
    ensemble = build_ensemble([build_member(spec, 0, 64)], [spec], 64, tta_flips=True)
    ensemble.save(tmp_path / "m.h5", include_optimizer=False)
    loaded = keras.models.load_model(tmp_path / "m.h5", compile=False)
    rng = np.random.default_rng(0)
    calib = np.concatenate([_images(), rng.integers(0, 256, (14, 64, 64, 3)).astype(np.float32)])
    flat = convert(loaded, Quantization.for_int8(calib.astype(np.uint8)))
    interp = Interpreter(model_content=flat)
    interp.allocate_tensors()
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    assert inp["dtype"] == np.uint8 and out["dtype"] == np.uint8
    scale, zero = out["quantization"]
    reference = np.asarray(loaded(calib, training=False))
    for image, ref in zip(calib.astype(np.uint8), reference, strict=True):
        interp.set_tensor(inp["index"], image[None])
        interp.invoke()
        probs = (interp.get_tensor(out["index"])[0].astype(np.float32) - zero) * scale
        assert np.abs(probs - ref).max() < 0.08


# --- the checkpoint reader on files written the way torch writes them (no torch needed) ---


class _Storage:
    def __init__(self, key: str, data: np.ndarray):
        self.key, self.data = key, data


def _fake_torch(monkeypatch):
    """Stand-ins named like torch's pickled globals, so ``pickle`` writes what ``torch.save`` writes."""
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    class FloatStorage:
        pass

    class LongStorage:
        pass

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called while writing")

    for cls in (FloatStorage, LongStorage):
        cls.__module__, cls.__qualname__ = "torch", cls.__name__
        setattr(torch, cls.__name__, cls)
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    torch._utils = utils
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "torch._utils", utils)
    return torch, utils


class _Tensor:
    def __init__(self, storage, offset, size, stride, rebuild):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())
        self.rebuild = rebuild

    def __reduce__(self):
        return self.rebuild, self.args


def _pickler(buffer, torch):
    p = pickle.Pickler(buffer, protocol=2)
    p.persistent_id = lambda obj: (  # type: ignore[method-assign]
        ("storage", torch.FloatStorage if obj.data.dtype == np.float32 else torch.LongStorage, obj.key, "cpu", obj.data.size)
        if isinstance(obj, _Storage)
        else None
    )
    return p


def _state(utils):
    base = np.arange(24, dtype=np.float32)
    storage, counts = _Storage("0", base), _Storage("1", np.array([7], np.int64))
    state = collections.OrderedDict(
        # a (2, 3, 4) tensor in TF's memory order (the packaged checkpoint stores its convs like this)
        conv=_Tensor(storage, 0, (2, 3, 4), (1, 8, 2), utils._rebuild_tensor_v2),
        tail=_Tensor(storage, 20, (4,), (1,), utils._rebuild_tensor_v2),
        steps=_Tensor(counts, 0, (), (), utils._rebuild_tensor_v2),
    )
    return state, [storage, counts], base


def _check(arrays, base):
    i, j, k = np.meshgrid(np.arange(2), np.arange(3), np.arange(4), indexing="ij")
    expected = base[i * 1 + j * 8 + k * 2]  # element (i, j, k) sits at offset i*1 + j*8 + k*2
    np.testing.assert_array_equal(arrays["conv"], expected)
    np.testing.assert_array_equal(arrays["tail"], base[20:24])
    assert arrays["steps"] == 7 and arrays["conv"].flags["C_CONTIGUOUS"]


def test_reader_takes_the_legacy_format(monkeypatch, tmp_path):
    import io

    from model_pipeline.models.torch_checkpoint import read_state_dict

    torch, utils = _fake_torch(monkeypatch)
    state, storages, base = _state(utils)
    buf = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True}):
        pickle.dump(header, buf, protocol=2)
    _pickler(buf, torch).dump(state)
    pickle.dump([s.key for s in storages], buf, protocol=2)
    for s in storages:
        buf.write(np.int64(s.data.size).tobytes() + s.data.tobytes())
    path = tmp_path / "legacy.pth"
    path.write_bytes(buf.getvalue())
    monkeypatch.delitem(sys.modules, "torch")
    _check(read_state_dict(path), base)
    path.write_bytes(buf.getvalue()[:-10])
    with pytest.raises(ConfigError, match="truncated"):
        read_state_dict(path)


def test_reader_takes_the_zip_format_and_refuses_other_classes(monkeypatch, tmp_path):
    import io

    from model_pipeline.models.torch_checkpoint import read_state_dict

    torch, utils = _fake_torch(monkeypatch)
    state, storages, base = _state(utils)
    buf = io.BytesIO()
    _pickler(buf, torch).dump(state)
    path = tmp_path / "zipped.pth"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", buf.getvalue())
        for s in storages:
            z.writestr(f"archive/data/{s.key}", s.data.tobytes())
    _check(read_state_dict(path), base)
    # a pickle that would call anything else (here os.system) is refused before it runs
    evil = tmp_path / "evil.pth"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("archive/data.pkl", b"cos\nsystem\n(S'true'\ntR.")
    with pytest.raises(ConfigError, match="os.system"):
        read_state_dict(evil)


def test_the_manifest_names_the_source_of_every_pretrained_member():
    from model_pipeline.bundle.writer import pretrained_weights
    from model_pipeline.config import TrainConfig
    from model_pipeline.models.efficientnet_lite import PACKAGED_LITE0

    config = TrainConfig(
        members=(MemberSpec(arch="dsnet", seed=1), MemberSpec(arch="efficientnet_lite0", seed=2, weights_path=PACKAGED_LITE0))
    ).to_dict()
    (entry,) = pretrained_weights(config)
    assert entry["member"] == 1 and entry["weights_path"] == PACKAGED_LITE0
    assert "ImageNet" in entry["source"] and "Apache-2.0" in entry["source"]
    assert pretrained_weights(TrainConfig().to_dict()) == []


def test_assembling_a_trained_lite0_member_needs_no_weights_file(tmp_path):
    import json

    import keras

    from model_pipeline.config import TrainConfig
    from model_pipeline.models.ensemble import build_member
    from model_pipeline.pipeline import assemble_run

    gone = str(tmp_path / "moved-away.pth")  # the ImageNet file the member started from, no longer there
    spec = MemberSpec(arch="efficientnet_lite0", seed=4, dropout=0.0, weights_path=gone)
    trained = build_member(spec, 0, 32, pretrained=False)
    run = tmp_path / "run"
    run.mkdir()
    trained.save_weights(run / "member0.best.weights.h5")
    (run / "config.json").write_text(json.dumps(TrainConfig(image_size=32, members=(spec,), tta_flips=True).to_dict()))
    (run / "training_history.json").write_text(json.dumps({"members": [{}]}))
    assemble_run(run)
    model = keras.models.load_model(run / "model.h5", compile=False)
    x = np.random.default_rng(1).integers(0, 256, (3, 32, 32, 3)).astype(np.float32)
    views = [np.ascontiguousarray(v) for v in (x, x[:, :, ::-1], x[:, ::-1], x[:, ::-1, ::-1])]
    expected = np.mean([np.asarray(trained(v, training=False)) for v in views], axis=0)
    np.testing.assert_allclose(np.asarray(model(x, training=False)), expected, atol=1e-5)
