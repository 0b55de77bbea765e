"""core.images: what is re-encoded is the upright pixels alone, in RGB, whatever the upload carried."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageCms

from core.images import encode_jpeg, reencode_jpeg, upright_rgb

RED = (220, 20, 20)
BLUE = (20, 20, 220)
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description secret="home-address"/></x:xmpmeta>'
MARKERS = (b"Exif", b"home-address", b"http://ns.adobe.com/xap", b"PhoneMaker", b"secret comment", b"ICC_PROFILE")


def _exif(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 31.0, 12.0)
    return exif.tobytes()


def _camera_jpeg(orientation: int) -> Image.Image:
    """An 80x40 blue JPEG, red in its stored top-left corner, with EXIF (orientation, GPS), XMP, ICC and a comment."""
    image = Image.new("RGB", (80, 40), BLUE)
    image.paste(RED, (0, 0, 20, 10))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, exif=_exif(orientation), xmp=XMP, comment=b"secret comment", icc_profile=icc)
    data = out.getvalue()
    assert all(marker in data for marker in MARKERS)
    return Image.open(io.BytesIO(data))


def _near(pixel: object, colour: tuple[int, int, int]) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


@pytest.mark.parametrize("orientation", [1, 6])
def test_reencoded_jpeg_keeps_no_metadata(orientation: int) -> None:
    # Given a camera JPEG full of metadata
    source = _camera_jpeg(orientation)
    # When it is re-encoded
    data = reencode_jpeg(source, quality=90)
    # Then none of it is in the bytes, and the decoded file carries nothing either
    for marker in MARKERS:
        assert marker not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)


def test_orientation_is_applied_to_the_pixels() -> None:
    # Given a landscape photo whose EXIF says "turn 90 degrees clockwise to display" (orientation 6)
    source = _camera_jpeg(6)
    # When its pixels are taken upright
    image = upright_rgb(source)
    # Then it is portrait and the stored top-left corner is now the top-right one
    assert image.size == (40, 80)
    assert _near(image.getpixel((35, 5)), RED)
    assert _near(image.getpixel((5, 5)), BLUE)
    assert len(image.getexif()) == 0 and image.info == {}


def test_upright_photo_is_not_turned() -> None:
    image = upright_rgb(_camera_jpeg(1))
    assert image.size == (80, 40)
    assert _near(image.getpixel((5, 5)), RED)


def test_transparent_rgba_is_composited_on_white() -> None:
    # Given a PNG, half fully transparent (its hidden colour black), half opaque red, with a text chunk
    image = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    image.paste((*RED, 255), (10, 0, 20, 10))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=_png_text("secret comment"))
    # When it is re-encoded
    data = reencode_jpeg(Image.open(io.BytesIO(out.getvalue())), quality=90)
    # Then the transparent half is white, not black, and the text is gone
    assert b"secret comment" not in data
    with Image.open(io.BytesIO(data)) as decoded:
        assert decoded.mode == "RGB"
        assert _near(decoded.getpixel((2, 5)), (255, 255, 255))
        assert _near(decoded.getpixel((17, 5)), RED)


def test_palette_images_with_and_without_transparency_become_rgb() -> None:
    # Given a palette image with a transparent index and one without
    opaque = Image.new("RGB", (10, 10), BLUE).convert("P")
    transparent = Image.new("P", (10, 10), 0)
    transparent.putpalette([0, 0, 0, *RED] + [0, 0, 0] * 254)
    transparent.paste(1, (5, 0, 10, 10))
    transparent.info["transparency"] = 0
    # When their pixels are taken
    opaque_rgb, transparent_rgb = upright_rgb(opaque), upright_rgb(transparent)
    # Then both are RGB; the transparent index shows white
    assert opaque_rgb.mode == transparent_rgb.mode == "RGB"
    assert _near(opaque_rgb.getpixel((5, 5)), BLUE)
    assert _near(transparent_rgb.getpixel((2, 5)), (255, 255, 255))
    assert _near(transparent_rgb.getpixel((7, 5)), RED)


def test_encoder_writes_no_metadata_even_when_the_image_still_holds_some() -> None:
    # Given pixels whose info still carries a comment, EXIF and an ICC profile
    image = Image.new("RGB", (8, 8), BLUE)
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.info.update({"comment": b"secret comment", "exif": _exif(1), "icc_profile": icc, "xmp": XMP})
    # When encoded
    data = encode_jpeg(image, quality=80)
    # Then none of it is written
    for marker in MARKERS:
        assert marker not in data


def test_max_side_bounds_the_longest_side_and_keeps_the_aspect() -> None:
    data = reencode_jpeg(Image.new("RGB", (400, 100), BLUE), quality=85, max_side=100, optimize=True)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (100, 25)


def _png_text(text: str) -> object:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    return info
