"""The channel's QR code for print."""

from __future__ import annotations

import io

from ... import bootstrap
from ...domain import images
from ...errors import Conflict, ValidationError, WeChatUnavailable
from ...tenancy import Scope
from . import common
from .common import load

MAX_IMAGE_BYTES = 2 * 1024 * 1024


def qr_image(scope: Scope, account_id: str, channel_id: str, fmt: str, scale: int = 10) -> tuple[bytes | str, str]:
    """The channel's QR code for print: PNG as bytes (a binary media type for API Gateway), SVG as text.
    An OA code is rendered from its content with segno; a WeCom contact way's image is WeCom's own (see
    `_contact_way_image`)."""
    scope.check(account_id)
    if fmt not in ("png", "svg"):
        raise ValidationError("format: must be png or svg", field="format")
    if not isinstance(scale, int) or not 1 <= scale <= 40:
        raise ValidationError("scale: must be an integer in 1..40", field="scale")
    channel = load(account_id, channel_id, scope)
    if channel["kind"] != "oa_qr":
        return _contact_way_image(account_id, channel, fmt)
    # the container's clock (injected in tests), never the wall clock: a rule must not depend on when it runs
    if channel["expires_at"] and channel["expires_at"] <= bootstrap.container().now():
        raise Conflict(f"channel {channel_id}'s temporary code expired at {channel['expires_at']}")
    import segno  # lazy: only the QR route renders codes

    qr = segno.make(channel["url"], error="m")
    buf = io.BytesIO()
    if fmt == "png":
        qr.save(buf, kind="png", scale=scale, border=4)
        return buf.getvalue(), "image/png"
    qr.save(buf, kind="svg", scale=scale, border=4, xmldecl=True)
    return buf.getvalue().decode("utf-8"), "image/svg+xml"


def _contact_way_image(account_id: str, channel: dict, fmt: str) -> tuple[bytes | str, str]:
    """WeCom renders a contact way's code itself (only it knows the content) and hosts the image at the
    `qr_code` URL add_contact_way answered; we download it on each request (nothing cached, no token sent).
    format=png is strictly PNG: WeCom's image is served as is when it is a PNG, and a non-PNG image (e.g.
    JPEG) is a 409 pointing to format=svg, since we convert nothing. format=svg wraps WeCom's image (any of
    PNG/JPEG/GIF) in an SVG document sized to it, as a base64 data URI. `scale` does not apply."""
    channel_id = channel["channel_id"]
    if not channel["qr_code"]:
        raise Conflict(f"channel {channel_id} has no qr_code from WeCom; its image cannot be served")
    gateway = common.gateway_of(common.account_of(account_id))
    data, declared = gateway.download(channel["qr_code"], max_bytes=MAX_IMAGE_BYTES)
    kind = images.sniff(data)
    if kind is None:
        raise WeChatUnavailable(f"WeCom's image for channel {channel_id} is not a PNG, JPEG or GIF "
                                f"(it says {declared})")
    if fmt == "png":
        if kind != "image/png":
            raise Conflict(f"WeCom serves channel {channel_id}'s code as {kind}, not PNG, and we do not "
                           "convert images; use format=svg (it embeds WeCom's image as is)")
        return data, "image/png"
    return images.svg_wrapping(data), "image/svg+xml"
