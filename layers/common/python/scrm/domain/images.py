"""Raster images we pass through (a WeCom contact way's QR): sniff the type from the magic bytes, read
the pixel size from the header, and wrap the image in an SVG document for print tooling. Pure; no Pillow."""

from __future__ import annotations

import base64
import struct

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TYPES = {"image/png", "image/jpeg", "image/gif"}


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are (png, jpeg, gif), or None."""
    if data.startswith(PNG_MAGIC):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def size(data: bytes) -> tuple[int, int] | None:
    """(width, height) in pixels from the image header, or None when the header cannot be read."""
    kind = sniff(data)
    if kind == "image/png":
        if len(data) >= 24 and data[12:16] == b"IHDR":
            w, h = struct.unpack(">II", data[16:24])
            return (w, h) if w and h else None
        return None
    if kind == "image/gif":
        w, h = struct.unpack("<HH", data[6:10]) if len(data) >= 10 else (0, 0)
        return (w, h) if w and h else None
    if kind == "image/jpeg":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # no length field
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        # start-of-frame markers carry the size (C0..CF but not C4 DHT, C8 JPG, CC DAC)
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 9 > len(data):
                return None
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return (w, h) if w and h else None
        if marker in (0xD9, 0xDA):  # end of image / start of scan before any frame header
            return None
        i += 2 + length
    return None


def svg_wrapping(data: bytes, fallback_size: int = 430) -> str:
    """An SVG document showing the raster image at its pixel size (viewBox = the image), embedded as a
    base64 data URI. A header we cannot read gets a square `fallback_size` box (WeCom's codes are square)."""
    kind = sniff(data)
    if kind is None:
        raise ValueError("not a PNG, JPEG or GIF image")
    w, h = size(data) or (fallback_size, fallback_size)
    uri = f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
            f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
            f'<image width="{w}" height="{h}" preserveAspectRatio="xMidYMid meet" '
            f'xlink:href="{uri}"/></svg>\n')
