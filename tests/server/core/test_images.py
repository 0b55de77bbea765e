"""core.images: what is re-encoded is the upright pixels alone, in RGB, whatever the upload carried."""

from __future__ import annotations

import io
import struct
import threading
import warnings
import zlib

import pytest
from PIL import Image, ImageCms

from core.images import (
    ImageRejected,
    Rejection,
    decode_upright,
    encode_jpeg,
    header_size,
    open_untrusted,
    reencode_jpeg,
    sniff,
    upright_rgb,
)

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


# -- open_untrusted / decode_upright: the one entry point for untrusted uploads --


def _png_declaring(width: int, height: int, color_type: int = 2) -> bytes:
    """A tiny PNG whose header claims width x height (a decompression bomb's shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b"")


def _encoded(image: Image.Image, fmt: str, **save: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "size", "save"),
    [
        ("JPEG", (123, 45), {}),
        ("JPEG", (77, 300), {"progressive": True}),
        ("PNG", (64, 33), {}),
        ("WEBP", (50, 20), {}),
        ("WEBP", (41, 19), {"lossless": True}),
    ],
)
def test_header_size_reads_what_pillow_reads(fmt: str, size: tuple[int, int], save: dict[str, object]) -> None:
    data = _encoded(Image.new("RGB", size, BLUE), fmt, **save)
    assert sniff(data) == fmt
    assert header_size(data, fmt) == size


def test_a_bomb_is_refused_from_its_header_with_every_warning_an_error_and_no_global_touched() -> None:
    # Given a process where any warning is an error, and Pillow's own limit as it was
    limit_before = Image.MAX_IMAGE_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        filters_before = list(warnings.filters)
        # When PNGs declaring 100 MP (past Pillow's own warning) and 400 MP (past its error) are opened
        for width, height in ((10_000, 10_000), (20_000, 20_000)):
            with pytest.raises(ImageRejected) as refused:
                open_untrusted(_png_declaring(width, height), max_pixels=50_000_000)
            # Then they are ours to refuse, from the header: no Pillow warning or error was needed
            assert refused.value.reason == Rejection.TOO_MANY_PIXELS
            assert "too many pixels" in refused.value.message
        # And a good photo still opens and decodes under the same strict filters
        good = open_untrusted(_encoded(Image.new("RGB", (40, 30), BLUE), "PNG"), max_pixels=50_000_000)
        assert decode_upright(good).size == (40, 30)
        # And nothing process-wide was changed
        assert warnings.filters == filters_before
    assert Image.MAX_IMAGE_PIXELS == limit_before


def test_png_gets_the_lower_full_decode_cap_but_a_baseline_jpeg_of_the_same_size_is_accepted(settings: object) -> None:
    # Given a full-decode cap of 1 MP
    settings.IMAGE_MAX_DECODE_PIXELS = 1_000_000  # type: ignore[attr-defined]
    png = _encoded(Image.new("L", (2000, 1000)), "PNG")
    baseline = _encoded(Image.new("RGB", (2000, 1000), BLUE), "JPEG")
    progressive = _encoded(Image.new("RGB", (2000, 1000), BLUE), "JPEG", progressive=True)
    # When each is opened under a 50 MP limit
    # Then the PNG and the progressive JPEG (both decoded whole) are refused, the baseline JPEG is not
    for data in (png, progressive):
        with pytest.raises(ImageRejected) as refused:
            open_untrusted(data, max_pixels=50_000_000)
        assert refused.value.reason == Rejection.TOO_MANY_PIXELS
        assert "1,000,000" in refused.value.message
    assert open_untrusted(baseline, max_pixels=50_000_000).size == (2000, 1000)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", Rejection.EMPTY),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', Rejection.UNSUPPORTED),
        (b"GIF89a" + b"\x00" * 40, Rejection.UNSUPPORTED),
        (b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 20, Rejection.CORRUPT),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 30, Rejection.CORRUPT),
    ],
    ids=["empty", "svg", "gif", "jpeg_without_frame", "png_without_ihdr"],
)
def test_what_is_not_a_decodable_image_is_refused_with_its_reason(data: bytes, reason: Rejection) -> None:
    with pytest.raises(ImageRejected) as refused:
        open_untrusted(data, max_pixels=50_000_000)
    assert refused.value.reason == reason


def test_truncated_jpeg_is_refused_when_decoded() -> None:
    data = _encoded(Image.effect_noise((400, 300), 64).convert("RGB"), "JPEG")[:2000]
    image = open_untrusted(data, max_pixels=50_000_000)
    with pytest.raises(ImageRejected) as refused:
        decode_upright(image)
    assert refused.value.reason == Rejection.CORRUPT


def test_a_large_jpeg_is_decoded_at_a_reduced_scale_and_comes_out_within_max_side() -> None:
    # Given a 4000x2000 JPEG, blue with a red left half
    source = Image.new("RGB", (4000, 2000), BLUE)
    source.paste(RED, (0, 0, 2000, 2000))
    image = open_untrusted(_encoded(source, "JPEG", quality=90), max_pixels=50_000_000)
    # When it is decoded for at most 500 pixels a side
    out = decode_upright(image, max_side=500)
    # Then libjpeg decoded it at 1/8 scale (never a 4000x2000 bitmap), the result is 500x250 and still right
    assert image.decoderconfig[0] == 8
    assert out.size == (500, 250) and out.mode == "RGB"
    assert _near(out.getpixel((100, 125)), RED)
    assert _near(out.getpixel((400, 125)), BLUE)


def test_an_image_within_max_side_is_decoded_pixel_for_pixel() -> None:
    source = Image.effect_noise((300, 200), 80).convert("RGB")
    data = _encoded(source, "PNG")
    out = decode_upright(open_untrusted(data, max_pixels=50_000_000), max_side=2048)
    assert out.tobytes() == source.tobytes()


def test_thirty_two_threads_of_uploads_leave_the_warning_filters_alone_and_a_cover_bomb_is_refused(settings: object) -> None:
    # Given the process's warning filters, and 32 threads opening and decoding uploads at once
    filters_before = list(warnings.filters)
    good = _encoded(Image.new("RGB", (64, 48), BLUE), "JPEG")
    bomb = _png_declaring(12_000, 12_000)
    errors: list[BaseException] = []
    start = threading.Barrier(32)

    def work() -> None:
        try:
            start.wait()
            for _ in range(5):
                decode_upright(open_untrusted(good, max_pixels=50_000_000), max_side=2048)
                with pytest.raises(ImageRejected):
                    open_untrusted(bomb, max_pixels=50_000_000)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every thread got its answer and the filters are what they were
    assert errors == []
    assert warnings.filters == filters_before
    # And a 100 MP cover bomb afterwards is a clean refusal, not a DecompressionBombWarning raised as an error
    with pytest.raises(ImageRejected):
        open_untrusted(_png_declaring(10_000, 10_000), max_pixels=40_000_000, formats={"JPEG", "PNG", "WEBP"})
