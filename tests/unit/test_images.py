"""Sniffing, sizing and SVG-wrapping raster images (a WeCom contact way's QR) without Pillow."""

from __future__ import annotations

import base64
import io
import re

import pytest
import segno

from scrm.domain import images


def _png(scale: int) -> bytes:
    buf = io.BytesIO()
    segno.make("https://work.weixin.qq.com/ca/x", error="m").save(buf, kind="png", scale=scale)
    return buf.getvalue()


def test_png_size_is_read_from_its_header():
    qr = segno.make("https://work.weixin.qq.com/ca/x", error="m")
    side = qr.symbol_size(scale=5)[0]
    assert images.sniff(_png(5)) == "image/png" and images.size(_png(5)) == (side, side)


def test_jpeg_size_skips_segments_before_the_frame_header():
    app0 = bytes.fromhex("ffe000104a46494600010100000100010000")
    sof = bytes.fromhex("ffc2000b08") + (300).to_bytes(2, "big") + (200).to_bytes(2, "big") + bytes.fromhex("01011100")
    data = b"\xff\xd8" + app0 + bytes.fromhex("ffc4000400ff") + sof + b"\xff\xd9"
    assert images.sniff(data) == "image/jpeg" and images.size(data) == (200, 300)
    assert images.size(b"\xff\xd8\xff\xd9") is None


def test_gif_and_unknown():
    assert images.size(b"GIF89a" + (12).to_bytes(2, "little") + (34).to_bytes(2, "little") + b"\0" * 8) == (12, 34)
    assert images.sniff(b"RIFF....WEBP") is None and images.size(b"<html>") is None
    with pytest.raises(ValueError):
        images.svg_wrapping(b"<html>")


def test_svg_wraps_the_image_at_its_size():
    data = _png(4)
    w, h = images.size(data)
    svg = images.svg_wrapping(data)
    assert f'viewBox="0 0 {w} {h}"' in svg and f'width="{w}"' in svg
    uri = re.search(r'xlink:href="data:image/png;base64,([^"]+)"', svg).group(1)
    assert base64.b64decode(uri) == data
    assert 'viewBox="0 0 430 430"' in images.svg_wrapping(b"\xff\xd8\xff\xd9")  # unreadable header: fallback
