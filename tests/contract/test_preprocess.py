"""Preprocessing (lesion_contract.preprocess): the spec, its reference implementation and the golden vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lesion_contract.preprocess import PREPROCESSING_SPEC, center_square, preprocess_image, shades_of_grey, tensor_sha256, to_rgb

ROOT = Path(__file__).resolve().parents[2]
BUNDLES = sorted(p.parent for p in (ROOT / "tflite_artifacts").glob("*/golden.json"))


def test_spec_is_what_every_manifest_records() -> None:
    assert PREPROCESSING_SPEC == {
        "exif_orient": True,
        "crop": "center_square",
        "resize": "bilinear_antialias",
        "resize_reference": "PIL.Image.resize(resample=BILINEAR, reducing_gap=None)",
        "value_range": [0, 255],
        "normalisation": "inside_model",
    }
    for bundle in BUNDLES:
        assert json.loads((bundle / "manifest.json").read_text())["input"]["preprocessing"] == PREPROCESSING_SPEC, bundle.name


@pytest.mark.parametrize("bundle", BUNDLES, ids=[b.name for b in BUNDLES])
def test_committed_golden_vectors_reproduce_bit_for_bit(bundle: Path) -> None:
    # Given the golden images the pipeline wrote with its preprocessing when it made the bundle
    golden = json.loads((bundle / "golden.json").read_text())
    size = json.loads((bundle / "manifest.json").read_text())["input"]["height"]
    assert len(golden) >= 5
    for entry in golden:
        # When the contract's reference preprocesses them
        tensor = preprocess_image(bundle / entry["file"], size)
        # Then every tensor is byte-identical to the recorded checksum
        assert list(tensor.shape) == entry["shape"] == [size, size, 3]
        assert tensor_sha256(tensor) == entry["tensor_sha256"], entry["file"]


def test_exif_orientation_centre_crop_and_resize(tmp_path: Path) -> None:
    # Given an upright non-square image and the same pixels stored rotated with EXIF orientation 6
    rng = np.random.default_rng(0)
    upright = Image.fromarray(rng.integers(0, 256, (60, 90, 3), dtype=np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6
    upright.transpose(Image.Transpose.ROTATE_90).save(tmp_path / "rot.png", exif=exif.tobytes())
    upright.save(tmp_path / "up.png")
    # When both are preprocessed
    a = preprocess_image(tmp_path / "up.png", 30)
    b = preprocess_image(tmp_path / "rot.png", 30)
    # Then both give the centre 60x60 square resized with Pillow's antialiased bilinear filter
    assert a.dtype == np.uint8 and a.shape == (30, 30, 3)
    assert tensor_sha256(a) == tensor_sha256(b)
    expected = np.asarray(upright.crop((15, 0, 75, 60)).resize((30, 30), Image.Resampling.BILINEAR, reducing_gap=None))
    assert np.array_equal(a, expected)
    # and bytes work like a path
    assert np.array_equal(preprocess_image((tmp_path / "up.png").read_bytes(), 30), a)


def test_alpha_is_composited_on_white_and_modes_become_rgb() -> None:
    rgba = Image.new("RGBA", (10, 10), (255, 0, 0, 0))
    assert preprocess_image(rgba, 4)[0, 0].tolist() == [255, 255, 255]
    half = Image.new("RGBA", (2, 2), (0, 0, 0, 128))
    assert to_rgb(half).getpixel((0, 0)) == (127, 127, 127)
    assert to_rgb(Image.new("L", (2, 2), 9)).getpixel((0, 0)) == (9, 9, 9)


def test_odd_margin_goes_right_and_bottom() -> None:
    image = Image.new("RGB", (7, 4))
    assert center_square(image).size == (4, 4)
    # (7 - 4) // 2 = 1 column off the left, 2 off the right
    marked = Image.new("RGB", (7, 4), (0, 0, 0))
    marked.putpixel((1, 0), (255, 0, 0))
    assert center_square(marked).getpixel((0, 0)) == (255, 0, 0)


def test_same_size_image_is_not_resampled_and_bad_input_is_refused() -> None:
    pixels = np.random.default_rng(1).integers(0, 256, (8, 8, 3), dtype=np.uint8)
    assert np.array_equal(preprocess_image(Image.fromarray(pixels), 8), pixels)
    with pytest.raises(ValueError, match="size must be positive"):
        preprocess_image(Image.fromarray(pixels), 0)
    with pytest.raises(ValueError, match="uint8"):
        tensor_sha256(pixels.astype(np.float32))


def test_shades_of_grey_removes_a_colour_cast_and_keeps_brightness() -> None:
    # Given a grey scene photographed under a reddish light (each channel a fixed multiple of the same pattern)
    rng = np.random.default_rng(0)
    scene = rng.uniform(40, 200, (16, 16, 1))
    tinted = np.clip(np.rint(scene * np.array([1.2, 0.9, 0.8])), 0, 255).astype(np.uint8)
    # When corrected
    out = shades_of_grey(tinted).astype(np.float64)
    # Then the channels agree again (within rounding) and the mean brightness stays
    assert np.abs(out[..., 0] - out[..., 1]).max() <= 2 and np.abs(out[..., 1] - out[..., 2]).max() <= 2
    assert abs(out.mean() - tinted.astype(np.float64).mean()) < 1.5
    # and a grey image, a batch and a black channel are handled exactly
    grey = np.repeat(rng.integers(0, 256, (16, 16, 1), dtype=np.uint8), 3, axis=2)
    assert np.array_equal(shades_of_grey(grey), grey)
    batch = np.stack([tinted, grey])
    assert np.array_equal(shades_of_grey(batch), np.stack([shades_of_grey(image) for image in batch]))
    no_blue = tinted.copy()
    no_blue[..., 2] = 0
    assert not np.isnan(shades_of_grey(no_blue).astype(float)).any() and (shades_of_grey(no_blue)[..., 2] == 0).all()


def test_shades_of_grey_refuses_what_is_not_an_rgb_uint8_image() -> None:
    with pytest.raises(ValueError, match="expected uint8"):
        shades_of_grey(np.zeros((4, 4, 3), np.float32))
    with pytest.raises(ValueError, match="expected uint8"):
        shades_of_grey(np.zeros((4, 4), np.uint8))
