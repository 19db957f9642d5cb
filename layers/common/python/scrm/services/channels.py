"""Channel use cases: create, read, update and archive channels; the QR image for print; resolving
a scene or state to a channel; keeping a contact way's staff in effect (rotation, caps, hours); the
channel welcome for the callback path.
"""

from __future__ import annotations

import json
import secrets
import time
from datetime import UTC, datetime

from ..domain import channels as rules
from ..errors import Conflict, NotFound, ValidationError, WeChatError
from ..tenancy import Scope

CACHE_SECONDS = 60
CAP_TTL_SECONDS = 3 * 86400

_CACHE: dict[tuple, tuple[float, object]] = {}


def forget_cache() -> None:
    _CACHE.clear()


def _cached(key: tuple, load):
    hit = _CACHE.get(key)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    value = load()
    _CACHE[key] = (time.monotonic() + CACHE_SECONDS, value)
    return value


def _model():
    from ..data.channels import ChannelItem

    return ChannelItem


def _account(account_id: str):
    from .. import accounts

    return accounts.get(account_id)


def _gateway(account):
    from ..gateway import gateway_for

    return gateway_for(account)


def view(item) -> dict:
    defn = json.loads(item.definition)
    out = {"channel_id": item.channel_id, "status": item.status, **defn, "scene": item.scene,
           "created_at": item.created_at.isoformat() if item.created_at else None,
           "updated_at": item.updated_at.isoformat() if item.updated_at else None}
    if item.kind == "oa_qr":
        out.update(ticket=item.ticket, url=item.url, expires_at=item.expires_at)
    else:
        out.update(state=item.scene, config_id=item.config_id, qr_code=item.qr_code, users=list(item.users or []),
                   users_updated_at=item.users_updated_at)
    return out


def _load(account_id: str, channel_id: str, scope: Scope | None = None):
    from ..data.channels import get_channel as get_item

    item = get_item(scope or Scope.system(account_id), account_id, channel_id)
    if item is None:
        raise NotFound(f"channel {channel_id!r} not found in account {account_id}")
    return item


# --- admin use cases

def create_channel(scope: Scope, account_id: str, body: dict, now: float | None = None) -> dict:
    scope.check(account_id)
    now = time.time() if now is None else now
    defn = rules.validate_channel(body)
    account = _account(account_id)
    if defn["kind"] == "oa_qr" and account.kind != "oa":
        raise ValidationError("kind: oa_qr channels belong to an Official Account", field="kind")
    if defn["kind"] == "wecom_contact_way" and account.kind != "wecom":
        raise ValidationError("kind: wecom_contact_way channels belong to a WeCom corp", field="kind")
    channel_id = secrets.token_hex(5)
    if defn["kind"] == "oa_qr":
        scene = rules.scene_value(defn, channel_id)
        pointer = f"sc#{scene}"
    else:
        scene = defn.get("state") or rules.default_state(channel_id)
        defn["state"] = scene
        pointer = f"st#{scene}"
    model = _model()
    _reserve(model, account_id, pointer, channel_id, "scene_str" if defn["kind"] == "oa_qr" else "state")
    try:
        permanent = defn["kind"] == "oa_qr" and defn["qr_type"] == "permanent"
        if permanent:
            _count_permanent(model, account_id, +1)
        try:
            item = _create_at_wechat(account, defn, channel_id, scene, now)
        except BaseException:
            if permanent:
                _count_permanent(model, account_id, -1)
            raise
    except BaseException:
        model(account_id, pointer).delete()
        raise
    item.save()
    forget_cache()
    return view(item)


def _reserve(model, account_id, pointer, channel_id, field):
    from pynamodb.exceptions import PutError

    try:
        model(account_id, pointer, channel_id=channel_id).save(condition=model.sk.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"{field} {pointer[3:]!r} already belongs to another channel") from None
        raise


def _count_permanent(model, account_id: str, step: int) -> None:
    from pynamodb.exceptions import UpdateError

    item = model(account_id, "meta#permanent")
    try:
        if step > 0:
            item.update(actions=[model.n.add(step)],
                        condition=model.n.does_not_exist() | (model.n < rules.MAX_PERMANENT_CODES))
        else:
            item.update(actions=[model.n.add(step)])
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"the account holds {rules.MAX_PERMANENT_CODES} permanent QR codes, WeChat's limit; "
                           "use a temporary code or archive unused channels") from None
        raise


def _create_at_wechat(account, defn: dict, channel_id: str, scene: str, now: float):
    model = _model()
    stamp = datetime.fromtimestamp(now, UTC)
    item = model(account.account_id, f"ch#{channel_id}", channel_id=channel_id, kind=defn["kind"],
                 name=defn["name"], group=defn["group"], status="active", scene=scene, version=1,
                 created_at=stamp, updated_at=stamp)
    gateway = _gateway(account)
    if defn["kind"] == "oa_qr":
        try:
            res = gateway.client.qrcode.create(rules.qrcode_request(defn, channel_id))
        except WeChatError as exc:
            if exc.errcode == 45029:
                raise Conflict("WeChat says the account's permanent QR codes are used up (45029)") from None
            if exc.errcode in (40053, 40052):
                raise ValidationError(f"scene_id: WeChat refused the scene ({exc.errmsg})", field="scene_id") from None
            raise
        item.ticket, item.url = res["ticket"], res["url"]
        if res.get("expire_seconds"):
            item.expires_at = int(now) + int(res["expire_seconds"])
    else:
        users = rules.eligible_staff(defn, now, _adds_today(account.account_id, channel_id, now))
        body = {"type": rules.contact_way_type(defn), "scene": 2, "style": 1, "remark": defn["name"][:30],
                "skip_verify": defn["skip_verify"], "state": scene, "user": users}
        try:
            res = gateway.post("externalcontact/add_contact_way", body)
        except WeChatError as exc:
            if exc.errcode in (60111, 610004, 40098, 41041):
                raise ValidationError(f"staff: WeCom refused the staff ({exc.errcode} {exc.errmsg})",
                                      field="staff") from None
            raise
        item.config_id, item.qr_code = res["config_id"], res.get("qr_code")
        item.upkeep = "way"
        item.users, item.users_updated_at = users, int(now)
    item.definition = json.dumps(defn, ensure_ascii=False)
    return item


def get_channel(scope: Scope, account_id: str, channel_id: str) -> dict:
    return view(_load(account_id, channel_id, scope))


def list_channels(scope: Scope, account_id: str, *, group: str | None = None, kind: str | None = None,
                  include_archived: bool = False) -> list[dict]:
    from ..data.channels import query_channels

    out = []
    for item in query_channels(scope, account_id):
        if not include_archived and item.status != "active":
            continue
        if group and item.group != group:
            continue
        if kind and item.kind != kind:
            continue
        out.append(view(item))
    return sorted(out, key=lambda c: (c["group"], c["name"], c["channel_id"]))


def list_channels_page(scope: Scope, account_id: str, *, group: str | None = None, kind: str | None = None,
                       include_archived: bool = False, limit: int = 50, start: dict | None = None
                       ) -> tuple[list[dict], dict | None]:
    """One page of channels in channel id order (at most `limit` read; filters may leave fewer on a page),
    and the key to continue from. An account may hold 100,000 permanent codes: never all in one answer."""
    from ..data.channels import page_channels

    model = _model()
    cond = None
    for part in ((model.status == "active") if not include_archived else None,
                 (model.group == group) if group else None, (model.kind == kind) if kind else None):
        if part is not None:
            cond = part if cond is None else cond & part
    items, last = page_channels(scope, account_id, limit=limit, start=start, filter_condition=cond)
    return [view(i) for i in items], last


def update_channel(scope: Scope, account_id: str, channel_id: str, body: dict, now: float | None = None) -> dict:
    from pynamodb.exceptions import PutError

    scope.check(account_id)
    now = time.time() if now is None else now
    if not isinstance(body, dict):
        raise ValidationError("body: must be a JSON object", field="body")
    item = _load(account_id, channel_id, scope)
    if item.status != "active":
        raise Conflict(f"channel {channel_id} is archived")
    current = json.loads(item.definition)
    defn = rules.validate_channel(body, existing=current)
    if defn["kind"] == "wecom_contact_way":
        defn["state"] = current.get("state") or item.scene
    model = _model()
    previous_version = item.version or 1
    item.definition = json.dumps(defn, ensure_ascii=False)
    item.name, item.group = defn["name"], defn["group"]
    item.version = previous_version + 1
    item.updated_at = datetime.fromtimestamp(now, UTC)
    try:
        item.save(condition=model.version == previous_version)
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise Conflict(f"channel {channel_id} changed meanwhile; read it again and retry") from None
        raise
    forget_cache()
    if defn["kind"] == "wecom_contact_way":
        refresh_contact_way(account_id, channel_id, now)
        item = _load(account_id, channel_id)
    return view(item)


def archive_channel(scope: Scope, account_id: str, channel_id: str) -> dict:
    """Stop a channel: its statistics stay; a contact way is deleted at WeCom; an OA code cannot be
    revoked at WeChat, so its scans keep being attributed to it (archived channels still resolve)."""
    scope.check(account_id)
    item = _load(account_id, channel_id, scope)
    if item.status == "archived":
        return view(item)
    if item.kind == "wecom_contact_way" and item.config_id:
        try:
            _gateway(_account(account_id)).post("externalcontact/del_contact_way", {"config_id": item.config_id})
        except WeChatError as exc:
            if exc.errcode != 41044:  # already gone
                raise
    item.update(actions=[_model().status.set("archived"), _model().upkeep.remove(),
                         _model().updated_at.set(datetime.now(UTC))])
    forget_cache()
    return view(_load(account_id, channel_id, scope))


def renew_qrcode(scope: Scope, account_id: str, channel_id: str, now: float | None = None) -> dict:
    """A temporary OA code expires (30 days at most): issue a fresh ticket for the same scene, so the
    channel, its statistics and its welcome carry on. Earlier prints stop working when they expire."""
    scope.check(account_id)
    now = time.time() if now is None else now
    item = _load(account_id, channel_id, scope)
    defn = json.loads(item.definition)
    if item.kind != "oa_qr" or defn.get("qr_type") != "temporary":
        raise Conflict("only temporary OA codes expire; this channel's code does not need renewing")
    if item.status != "active":
        raise Conflict(f"channel {channel_id} is archived")
    res = _gateway(_account(account_id)).client.qrcode.create(rules.qrcode_request(defn, channel_id))
    model = _model()
    item.update(actions=[model.ticket.set(res["ticket"]), model.url.set(res["url"]),
                         model.expires_at.set(int(now) + int(res.get("expire_seconds") or defn["expire_seconds"])),
                         model.updated_at.set(datetime.fromtimestamp(now, UTC))])
    return view(_load(account_id, channel_id, scope))


def qr_image(scope: Scope, account_id: str, channel_id: str, fmt: str, scale: int = 10) -> tuple[bytes | str, str]:
    """The channel's QR code for print: PNG as bytes (a binary media type for API Gateway), SVG as text.
    An OA code is rendered from its content with segno; a WeCom contact way's image is WeCom's own (see
    `_contact_way_image`)."""
    scope.check(account_id)
    if fmt not in ("png", "svg"):
        raise ValidationError("format: must be png or svg", field="format")
    if not isinstance(scale, int) or not 1 <= scale <= 40:
        raise ValidationError("scale: must be an integer in 1..40", field="scale")
    item = _load(account_id, channel_id, scope)
    if item.kind != "oa_qr":
        return _contact_way_image(account_id, item, fmt)
    if item.expires_at and item.expires_at <= time.time():
        raise Conflict(f"channel {channel_id}'s temporary code expired at {item.expires_at}")
    import segno

    qr = segno.make(item.url, error="m")
    buf = __import__("io").BytesIO()
    if fmt == "png":
        qr.save(buf, kind="png", scale=scale, border=4)
        return buf.getvalue(), "image/png"
    qr.save(buf, kind="svg", scale=scale, border=4, xmldecl=True)
    return buf.getvalue().decode("utf-8"), "image/svg+xml"


MAX_IMAGE_BYTES = 2 * 1024 * 1024


def _contact_way_image(account_id: str, item, fmt: str) -> tuple[bytes | str, str]:
    """WeCom renders a contact way's code itself (only it knows the content) and hosts the image at the
    `qr_code` URL add_contact_way answered; we download it on each request (nothing cached, no token sent).
    format=png is strictly PNG: WeCom's image is served as is when it is a PNG, and a non-PNG image (e.g.
    JPEG) is a 409 pointing to format=svg, since we convert nothing. format=svg wraps WeCom's image (any of
    PNG/JPEG/GIF) in an SVG document sized to it, as a base64 data URI. `scale` does not apply."""
    from ..domain import images
    from ..errors import WeChatUnavailable

    if not item.qr_code:
        raise Conflict(f"channel {item.channel_id} has no qr_code from WeCom; its image cannot be served")
    data, declared = _gateway(_account(account_id)).download(item.qr_code, max_bytes=MAX_IMAGE_BYTES)
    kind = images.sniff(data)
    if kind is None:
        raise WeChatUnavailable(f"WeCom's image for channel {item.channel_id} is not a PNG, JPEG or GIF "
                                f"(it says {declared})")
    if fmt == "png":
        if kind != "image/png":
            raise Conflict(f"WeCom serves channel {item.channel_id}'s code as {kind}, not PNG, and we do not "
                           "convert images; use format=svg (it embeds WeCom's image as is)")
        return data, "image/png"
    return images.svg_wrapping(data), "image/svg+xml"


# --- resolving events to channels (worker and callback paths)

def definition(account_id: str, channel_id: str) -> dict | None:
    """The channel's definition with its kind and status, cached per container (None if unknown)."""
    def load():
        from ..data.channels import get_channel as get_item

        item = get_item(Scope.system(account_id), account_id, channel_id, consistent=False)
        if item is None:
            return None
        return {**json.loads(item.definition), "channel_id": channel_id, "status": item.status}

    if channel_id in rules.RESERVED_IDS:
        return None
    return _cached(("def", account_id, channel_id), load)


def resolve(account_id: str, kind: str, value: str) -> str | None:
    """Channel id owning an OA scene (`kind`="sc") or a WeCom state (`kind`="st"), or None."""
    def load():
        from ..data.channels import channel_for

        return channel_for(Scope.system(account_id), account_id, kind, value)

    if not value or len(value) > 128:
        return None
    return _cached(("ptr", account_id, kind, value), load)


def welcome_for(account, event: dict) -> dict | None:
    """Welcome provider (registered with scrm.services.callbacks): the channel's welcome content for an
    OA subscribe/SCAN with a channel scene (a passive reply) or a WeCom add with a channel state (the
    send_welcome_msg content), in scrm.domain.replies' content shape; None when the event has no
    channel or the channel has no welcome."""
    if account.kind == "oa":
        scene = rules.parse_event_key(event.get("Event", ""), event.get("EventKey"))
        channel_id = resolve(account.account_id, "sc", scene) if scene else None
    else:
        state = event.get("State") or ""
        channel_id = resolve(account.account_id, "st", state) if state else None
    defn = definition(account.account_id, channel_id) if channel_id else None
    if not defn or not defn.get("welcome") or defn.get("status") != "active":
        return None
    return welcome_content(defn["welcome"], account.kind)


def welcome_content(welcome: dict, platform: str) -> dict:
    link = welcome.get("link")
    if platform == "oa":
        if link and not welcome.get("text"):
            return {"type": "news", "articles": [{"title": link["title"], "description": link.get("description", ""),
                                                  "url": link["url"], "pic_url": link.get("picurl", "")}]}
        text = welcome["text"]
        if link:
            text = f"{text}\n{link['title']}: {link['url']}"
        return {"type": "text", "content": text}
    out: dict = {"type": "text", "content": welcome.get("text") or link["title"]}
    if link:
        out["attachments"] = [{"msgtype": "link", "link": {
            "title": link["title"], "url": link["url"], "desc": link.get("description", ""),
            "picurl": link.get("picurl", "")}}]
    return out


# --- contact-way rotation: caps, hours, backups

def _cap_key(channel_id: str, day: str, userid: str) -> str:
    return f"cap#{channel_id}#{day}#{userid}"


def _adds_today(account_id: str, channel_id: str, now: float) -> dict[str, int]:
    from ..data.channels import adds_on

    return adds_on(Scope.system(account_id), account_id, channel_id, rules.day_of(now))


def cap_counter_update(account_id: str, channel_id: str, userid: str, day: str, now: float) -> tuple:
    """(item, actions) adding one add to the (channel, staff, day) counter, for the attribution transaction."""
    model = _model()
    item = model(account_id, _cap_key(channel_id, day, userid))
    return item, [model.n.add(1), model.ttl.set(datetime.fromtimestamp(now + CAP_TTL_SECONDS, UTC))]


def note_add(account_id: str, channel_id: str, userid: str, now: float) -> bool:
    """After an add was recorded: if it took the staff member to their cap, take them off the way now
    (the schedule would do it within 5 minutes). The counter item's `capped_at` mark is set with a
    conditional update (n >= cap and not yet marked), so of many workers seeing the cap at once exactly
    one updates the contact way; if that update fails the mark is removed so the event's retry can try
    again. Returns whether the way was updated."""
    from pynamodb.exceptions import UpdateError

    defn = definition(account_id, channel_id)
    if not defn or defn.get("kind") != "wecom_contact_way" or defn.get("status") != "active":
        return False
    cap = rules.cap_of(defn, userid)
    if cap is None:
        return False
    model = _model()
    counter = model(account_id, _cap_key(channel_id, rules.day_of(now), userid))
    try:
        counter.update(actions=[model.capped_at.set(int(now))],
                       condition=(model.n >= cap) & model.capped_at.does_not_exist())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False  # under the cap, or another worker already handled reaching it
        raise
    try:
        return refresh_contact_way(account_id, channel_id, now)
    except BaseException:
        counter.update(actions=[model.capped_at.remove()])
        raise


def refresh_contact_way(account_id: str, channel_id: str, now: float | None = None) -> bool:
    """Put the currently eligible staff on the contact way, only if that set changed. Returns whether
    WeCom was called. The channel's version guards against two workers racing."""
    from pynamodb.exceptions import UpdateError

    now = time.time() if now is None else now
    model = _model()
    item = _load(account_id, channel_id)
    if item.kind != "wecom_contact_way" or item.status != "active" or not item.config_id:
        return False
    defn = json.loads(item.definition)
    wanted = rules.eligible_staff(defn, now, _adds_today(account_id, channel_id, now))
    if sorted(wanted) == sorted(item.users or []):
        return False
    _gateway(_account(account_id)).post("externalcontact/update_contact_way", {
        "config_id": item.config_id, "user": wanted, "remark": defn["name"][:30],
        "skip_verify": defn.get("skip_verify", True), "state": item.scene})
    version = item.version or 1
    try:
        item.update(actions=[model.users.set(wanted), model.users_updated_at.set(int(now)),
                             model.version.set(version + 1)],
                    condition=model.version == version)
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    return True


def upkeep(now: float | None = None) -> dict:
    """The schedule's pass over every active contact way (working-hours edges, day rollover)."""
    model = _model()
    now = time.time() if now is None else now
    checked = updated = failed = 0
    for key in model.active_ways.query("way"):
        checked += 1
        channel_id = key.sk[len("ch#"):]
        try:
            updated += bool(refresh_contact_way(key.account_id, channel_id, now))
        except Exception:  # one broken channel must not stop the others
            failed += 1
            from ..observability import logger

            logger().exception("contact way upkeep failed", extra={"account_id": key.account_id,
                                                                    "channel_id": channel_id})
    return {"checked": checked, "updated": updated, "failed": failed}


def _register_welcome_provider() -> None:
    from .callbacks import register_welcome_provider

    register_welcome_provider(welcome_for)


_register_welcome_provider()
