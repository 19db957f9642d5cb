"""Admin API for channels (OA parametric QR codes, WeCom contact ways), their QR images, contacts and
per-channel statistics."""

from chalice import Blueprint

from functions.admin_common import admin_route, page
from scrm import errors

bp = Blueprint(__name__)


@admin_route(bp, "/accounts/{account_id}/channels",
             answer="answers.Channel", paged=True, query="queries.ChannelsQuery")
def list_channels(ctx, account_id):
    """The account's channels in channel id order, paged (filters apply per page: a page may hold fewer than
    `limit`; follow next_cursor until null)

    Paged in channel id order (?limit, ?cursor); ?group, ?kind, ?include_archived filter each page.
    """
    from scrm.services.channels import list_channels_page

    archived = ctx.query.get("include_archived") in ("1", "true")
    return page(lambda limit, start: list_channels_page(
        ctx.scope, account_id, group=ctx.query.get("group") or None, kind=ctx.query.get("kind") or None,
        include_archived=archived, limit=limit, start=start), ctx)


@admin_route(bp, "/accounts/{account_id}/channels", methods=("POST",), role="operator", audit="channel.create",
             status=201, idempotent_create=True,
             body="channels.ChannelBody", answer="answers.Channel",
             raises=(errors.Conflict, errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def create_channel(ctx, account_id):
    """Create a channel (operator): an OA QR code (temporary or permanent) or a WeCom contact way"""
    from scrm.services.channels import create_channel

    return create_channel(ctx.scope, account_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/channels/{channel_id}", answer="answers.Channel")
def get_channel(ctx, account_id, channel_id):
    """One channel"""
    from scrm.services.channels import get_channel

    return get_channel(ctx.scope, account_id, channel_id)


@admin_route(bp, "/accounts/{account_id}/channels/{channel_id}", methods=("PATCH",), role="operator",
             audit="channel.update",
             body="channels.ChannelPatch", answer="answers.Channel",
             raises=(errors.Conflict, errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def update_channel(ctx, account_id, channel_id):
    """Change a channel (operator): name, group, welcome, tags; staff, caps, hours of a contact way (kind and scene
    are fixed)
    """
    from scrm.services.channels import update_channel

    return update_channel(ctx.scope, account_id, channel_id, ctx.body)


@admin_route(bp, "/accounts/{account_id}/channels/{channel_id}", methods=("DELETE",), role="operator",
             audit="channel.archive",
             answer="answers.Channel", raises=(errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def archive_channel(ctx, account_id, channel_id):
    """Archive a channel (operator): statistics stay; a contact way is deleted at WeCom"""
    from scrm.services.channels import archive_channel

    return archive_channel(ctx.scope, account_id, channel_id)


@admin_route(bp, "/accounts/{account_id}/channels/{channel_id}/renew", methods=("POST",), role="operator",
             audit="channel.renew",
             answer="answers.Channel",
             raises=(errors.Conflict, errors.RateLimited, errors.WeChatError, errors.WeChatUnavailable))
def renew_channel_qrcode(ctx, account_id, channel_id):
    """Issue a fresh ticket for a temporary OA code (operator): same scene, new url and expiry"""
    from scrm.services.channels import renew_qrcode

    return renew_qrcode(ctx.scope, account_id, channel_id)


@admin_route(bp, "/accounts/{account_id}/channels/{channel_id}/qrcode",
             query="queries.QrQuery", media={"image/png": "binary", "image/svg+xml": "text"},
             raises=(errors.Conflict, errors.WeChatUnavailable))
def channel_qrcode(ctx, account_id, channel_id):
    """The channel's QR code for print (send `Accept: image/png` for the PNG through API Gateway)

    An OA code is rendered from its content with segno (`scale` pixels per module).

    A WeCom contact way's code is rendered by WeCom, which hosts the image at the channel's `qr_code` URL; the
    API downloads it on each request (http(s) only, at most 2 MiB, no token sent, nothing cached server-side)
    and `scale` does not apply:

    - `format=png` answers WeCom's image unchanged when it is a PNG. Images are never converted, so
    if WeCom serves another type (e.g. JPEG) the answer is 409 naming it; use `format=svg` then.
    - `format=svg` answers an SVG document whose viewBox is the image's pixel size, embedding WeCom's
    image (PNG, JPEG or GIF) as a base64 `data:` URI in an `<image>` element.

    If WeCom's image host cannot be reached, answers an HTTP error or a non-image, the answer is 503 with code
    `wechat_unavailable` and a message naming what failed.

    ?format=png (default) | svg; ?scale=1..40 (pixels per module, OA codes only). A WeCom contact way's image is
    WeCom's own, downloaded from its qr_code URL: PNG as is, SVG wrapping it (see the service).
    """
    from chalice import Response

    from scrm.errors import ValidationError
    from scrm.services.channels import qr_image

    raw_scale = ctx.query.get("scale", "10")
    try:
        scale = int(raw_scale)
    except ValueError:
        raise ValidationError("scale: must be an integer in 1..40", field="scale") from None
    fmt = ctx.query.get("format", "png")
    body, content_type = qr_image(ctx.scope, account_id, channel_id, fmt, scale)
    return Response(body=body, status_code=200, headers={
        "Content-Type": content_type, "Cache-Control": "private, max-age=300",
        "Content-Disposition": f'inline; filename="channel-{channel_id}.{fmt}"'})


STATS_DEFAULT_LIMIT, STATS_MAX_LIMIT = 20, 100  # channels a page (each costs 16 shard queries)


def _stats_page(ctx):
    from functions.paging import page_position

    return page_position(ctx, STATS_DEFAULT_LIMIT, STATS_MAX_LIMIT)


@admin_route(bp, "/accounts/{account_id}/channel-stats", answer="answers.ChannelStats", query="queries.StatsQuery")
def channel_stats(ctx, account_id):
    """Per channel and day, per channel totals and per group totals of one page of channels (days in China time).
    Paged by channel in channel id order, the built-in direct and unknown first; each request reads only its
    page's counters

    ?from=YYYY-MM-DD&to=YYYY-MM-DD (China days; default the last 30), ?channel_id=, ?group=; paged by channel
    (?limit, ?cursor -> next_cursor), so no request reads more than a page of channels' counters.
    """
    import time

    from functions.paging import encode_cursor
    from scrm.services.channel_stats import report_page

    limit, start, path = _stats_page(ctx)
    out, last = report_page(ctx.scope, account_id, ctx.query, time.time(), limit=limit, start=start)
    return {**out, "next_cursor": encode_cursor(last, path)}


@admin_route(bp, "/accounts/{account_id}/channel-stats.csv", query="queries.StatsQuery", media={"text/csv": "text"})
def channel_stats_csv(ctx, account_id):
    """The per channel and day rows of one page of channels as CSV (next page's cursor in X-Next-Cursor)

    The day rows of one page of channels; the next page's cursor is in the X-Next-Cursor header.
    """
    import time

    from chalice import Response

    from functions.paging import encode_cursor
    from scrm.services.channel_stats import report_csv_page

    limit, start, path = _stats_page(ctx)
    text, last = report_csv_page(ctx.scope, account_id, ctx.query, time.time(), limit=limit, start=start)
    headers = {"Content-Type": "text/csv; charset=utf-8",
               "Content-Disposition": f'attachment; filename="channel-stats-{account_id}.csv"'}
    nxt = encode_cursor(last, path)
    if nxt:
        headers["X-Next-Cursor"] = nxt
    return Response(body=text, status_code=200, headers=headers)


@admin_route(bp, "/accounts/{account_id}/contacts", answer="answers.Contact", query="queries.ContactQuery")
def find_contact(ctx, account_id):
    """One contact (person) by openid, external_userid or unionid, with first/last touch and touch history

    One contact by ?openid= | ?external_userid= | ?unionid=, with first/last touch and its touches.
    """
    from scrm.services.attribution import find_contact

    q = ctx.query
    return find_contact(ctx.scope, account_id, openid=q.get("openid") or None,
                        external_userid=q.get("external_userid") or None, unionid=q.get("unionid") or None)
