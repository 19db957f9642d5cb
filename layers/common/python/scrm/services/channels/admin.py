"""Channel use cases of the admin API: create, read, list (paged), update, archive, renew a temporary code."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

from ...domain import channels as rules
from ...domain.instants import answer_time
from ...errors import Conflict, ValidationError, WeChatError
from ...stores.channels.base import new_channel
from ...tenancy import Scope
from . import common
from .common import forget_cache, load, store
from .rotation import adds_today, refresh_contact_way


def view(channel: dict) -> dict:
    c = channel
    out = {"channel_id": c["channel_id"], "status": c["status"], **c["definition"], "scene": c["scene"],
           "created_at": answer_time(c["created_at"]), "updated_at": answer_time(c["updated_at"])}
    if c["kind"] == "oa_qr":
        out.update(ticket=c["ticket"], url=c["url"], expires_at=answer_time(c["expires_at"]))
    elif c["kind"] == "wecom_group":  # the groups on the code are kept in `users`
        out.update(state=c["scene"], config_id=c["config_id"], qr_code=c["qr_code"], in_code=list(c["users"] or []),
                   users_updated_at=answer_time(c["users_updated_at"]))
    else:
        out.update(state=c["scene"], config_id=c["config_id"], qr_code=c["qr_code"], users=list(c["users"] or []),
                   users_updated_at=answer_time(c["users_updated_at"]))
    return out


def _tags_checked(scope: Scope, account, defn: dict) -> None:
    """A WeCom channel's tags must be in the corp's tag catalogue (scrm.services.tags; a 400 names `tags[i]`)."""
    from .. import tags

    tags.check_ids(scope, account, defn.get("tags") or [], "tags", lambda: common.gateway_of(account))


def named(scope: Scope, account_id: str, views: list[dict]) -> list[dict]:
    """WeCom channels' views with `tag_names` beside their tag ids (one catalogue read for them all)."""
    wanted = [v for v in views if v["kind"] == "wecom_contact_way" and v.get("tags")]
    if wanted:
        from .. import tags

        catalogue = tags.common.store().catalogue(scope, account_id)
        for v in wanted:
            v["tag_names"] = tags.names(scope, account_id, v["tags"], catalogue)
    return views


def _check_platform(defn: dict, account) -> None:
    if defn["kind"] == "oa_qr" and account.kind != "oa":
        raise ValidationError("kind: oa_qr channels belong to an Official Account", field="kind")
    if defn["kind"] in ("wecom_contact_way", "wecom_group") and account.kind != "wecom":
        raise ValidationError(f"kind: {defn['kind']} channels belong to a WeCom corp", field="kind")
    if defn.get("sign_in_account"):  # the verification page signs customers in through this OA
        from ... import accounts
        from ...errors import AccountDisabled, UnknownAccount

        try:
            oa = accounts.get(defn["sign_in_account"])
        except (UnknownAccount, AccountDisabled):
            oa = None
        if oa is None or not oa.is_oa:
            raise ValidationError("sign_in_account: must be an Official Account of this deployment",
                                  field="sign_in_account")


def _pointer(defn: dict, channel_id: str) -> tuple[str, str]:
    """("sc", OA scene) or ("st", WeCom state) the channel will own."""
    if defn["kind"] == "oa_qr":
        return "sc", rules.scene_value(defn, channel_id)
    defn["state"] = defn.get("state") or rules.default_state(channel_id)
    return "st", defn["state"]


def create_channel(scope: Scope, account_id: str, body: dict, now: float | None = None) -> dict:
    """The scene or state is reserved first (a conditional create: it belongs to one channel only), then a
    permanent code is counted against WeChat's limit, then WeChat makes the code; a failure undoes the steps
    before it, so a failed create leaves neither a reservation nor a count behind."""
    scope.check(account_id)
    now = time.time() if now is None else now
    defn = rules.validate_channel(body)
    account = common.account_of(account_id)
    _check_platform(defn, account)
    _tags_checked(scope, account, defn)
    channel_id = secrets.token_hex(5)
    kind, scene = _pointer(defn, channel_id)
    if not store().reserve_scene(scope, account_id, kind, scene, channel_id):
        field = "scene_str" if kind == "sc" else "state"
        raise Conflict(f"{field} {scene!r} already belongs to another channel")
    pool = _reserve_pool(scope, account_id, defn, channel_id, kind, scene)
    template = defn.get("welcome_template") if defn["kind"] == "wecom_group" else None
    try:
        _attach_template(scope, account_id, template, channel_id)
        channel = _counted(scope, account, defn, channel_id, scene, now)
    except BaseException:
        _detach_template(scope, account_id, template, channel_id)
        store().release_scene(scope, account_id, kind, scene)
        for chat_id in pool:
            store().release_scene(scope, account_id, "gc", chat_id)
        raise
    store().put_channel(scope, channel)
    forget_cache()
    return named(scope, account_id, [view(channel)])[0]


def _attach_template(scope: Scope, account_id: str, template_id: str | None, channel_id: str) -> None:
    if template_id:
        from ..groups.templates import attach

        attach(scope, account_id, template_id, channel_id)


def _detach_template(scope: Scope, account_id: str, template_id: str | None, channel_id: str) -> None:
    if template_id:
        from ..groups.templates import detach

        detach(scope, account_id, template_id, channel_id)


def _reserve_pool(scope: Scope, account_id: str, defn: dict, channel_id: str, kind: str, scene: str) -> list[str]:
    """A group code's groups belong to it alone (their caps would be ambiguous otherwise): each is reserved."""
    taken: list[str] = []
    for chat_id in defn.get("chat_ids") or [] if defn["kind"] == "wecom_group" else []:
        if not store().reserve_scene(scope, account_id, "gc", chat_id, channel_id):
            for done in taken:
                store().release_scene(scope, account_id, "gc", done)
            store().release_scene(scope, account_id, kind, scene)
            raise Conflict(f"chat_ids: group {chat_id!r} already belongs to another group code")
        taken.append(chat_id)
    return taken


def _counted(scope: Scope, account, defn: dict, channel_id: str, scene: str, now: float) -> dict:
    permanent = defn["kind"] == "oa_qr" and defn["qr_type"] == "permanent"
    if permanent and not store().count_permanent(scope, account.account_id, +1, limit=rules.MAX_PERMANENT_CODES):
        raise Conflict(f"the account holds {rules.MAX_PERMANENT_CODES} permanent QR codes, WeChat's limit; "
                       "use a temporary code or archive unused channels")
    try:
        return _create_at_wechat(account, defn, channel_id, scene, now)
    except BaseException:
        if permanent:
            store().count_permanent(scope, account.account_id, -1)
        raise


def _create_at_wechat(account, defn: dict, channel_id: str, scene: str, now: float) -> dict:
    stamp = datetime.fromtimestamp(now, UTC)
    channel = new_channel(account.account_id, defn, channel_id=channel_id, kind=defn["kind"], name=defn["name"],
                          group=defn["group"], status="active", scene=scene, version=1, created_at=stamp,
                          updated_at=stamp)
    gateway = common.gateway_of(account)
    if defn["kind"] == "oa_qr":
        channel.update(_oa_code(gateway, defn, channel_id, now))
    elif defn["kind"] == "wecom_group":
        from ..groups.codes import create_join_way

        channel.update(create_join_way(gateway, account.account_id, defn, scene, now))
    else:
        channel.update(_contact_way(gateway, account, defn, channel_id, scene, now))
    return channel


def _oa_code(gateway, defn: dict, channel_id: str, now: float) -> dict:
    try:
        res = gateway.client.qrcode.create(rules.qrcode_request(defn, channel_id))
    except WeChatError as exc:
        if exc.errcode == 45029:
            raise Conflict("WeChat says the account's permanent QR codes are used up (45029)") from None
        if exc.errcode in (40053, 40052):
            raise ValidationError(f"scene_id: WeChat refused the scene ({exc.errmsg})", field="scene_id") from None
        raise
    out = {"ticket": res["ticket"], "url": res["url"]}
    if res.get("expire_seconds"):
        out["expires_at"] = int(now) + int(res["expire_seconds"])
    return out


def _contact_way(gateway, account, defn: dict, channel_id: str, scene: str, now: float) -> dict:
    users = rules.eligible_staff(defn, now, adds_today(account.account_id, channel_id, now))
    body = {"type": rules.contact_way_type(defn), "scene": 2, "style": 1, "remark": defn["name"][:30],
            "skip_verify": defn["skip_verify"], "state": scene, "user": users}
    try:
        res = gateway.post("externalcontact/add_contact_way", body)
    except WeChatError as exc:
        if exc.errcode in (60111, 610004, 40098, 41041):
            raise ValidationError(f"staff: WeCom refused the staff ({exc.errcode} {exc.errmsg})",
                                  field="staff") from None
        raise
    return {"config_id": res["config_id"], "qr_code": res.get("qr_code"), "upkeep": "way", "users": users,
            "users_updated_at": int(now)}


def get_channel(scope: Scope, account_id: str, channel_id: str) -> dict:
    return named(scope, account_id, [view(load(account_id, channel_id, scope))])[0]


def list_channels(scope: Scope, account_id: str, *, group: str | None = None, kind: str | None = None,
                  include_archived: bool = False) -> list[dict]:
    out = [view(c) for c in store().all_channels(scope, account_id)
           if (include_archived or c["status"] == "active") and (not group or c["group"] == group)
           and (not kind or c["kind"] == kind)]
    return sorted(out, key=lambda c: (c["group"], c["name"], c["channel_id"]))


def list_channels_page(scope: Scope, account_id: str, *, group: str | None = None, kind: str | None = None,
                       include_archived: bool = False, limit: int = 50, start: dict | None = None
                       ) -> tuple[list[dict], dict | None]:
    """One page of channels in channel id order (at most `limit` read; filters may leave fewer on a page),
    and the key to continue from. An account may hold 100,000 permanent codes: never all in one answer."""
    items, last = store().page_channels(scope, account_id, limit=limit, start=start,
                               status=None if include_archived else "active", group=group or None,
                               kind=kind or None)
    return named(scope, account_id, [view(c) for c in items]), last


def _changed_definition(scope: Scope, account_id: str, channel: dict, body: dict) -> dict:
    """The channel's definition with `body` applied, checked as a new one would be (its state kept)."""
    current = channel["definition"]
    defn = rules.validate_channel(body, existing=current)
    if defn.get("sign_in_account") != current.get("sign_in_account"):
        _check_platform(defn, common.account_of(account_id))
    if defn["kind"] in ("wecom_contact_way", "wecom_group"):
        defn["state"] = current.get("state") or channel["scene"]
        if "tags" in body:
            _tags_checked(scope, common.account_of(account_id), defn)
    if defn["kind"] == "wecom_group" and defn["chat_ids"] != current.get("chat_ids"):
        raise ValidationError("chat_ids: a group code's pool changes through PATCH /channels/{channel_id}/pool "
                              "(add, remove, group_cap)", field="chat_ids")
    return defn


def update_channel(scope: Scope, account_id: str, channel_id: str, body: dict, now: float | None = None) -> dict:
    """A change is written only over the version it was made from (a concurrent change is a 409)."""
    scope.check(account_id)
    now = time.time() if now is None else now
    if not isinstance(body, dict):
        raise ValidationError("body: must be a JSON object", field="body")
    channel = load(account_id, channel_id, scope)
    if channel["status"] != "active":
        raise Conflict(f"channel {channel_id} is archived")
    current = channel["definition"]
    defn = _changed_definition(scope, account_id, channel, body)
    old_template, new_template = current.get("welcome_template"), defn.get("welcome_template")
    if new_template != old_template:
        _attach_template(scope, account_id, new_template, channel_id)
    previous_version = channel["version"] or 1
    channel.update(definition=defn, name=defn["name"], group=defn["group"], version=previous_version + 1,
                   updated_at=datetime.fromtimestamp(now, UTC))
    if not store().replace_channel(scope, channel, previous_version):
        if new_template != old_template:
            _detach_template(scope, account_id, new_template, channel_id)
        raise Conflict(f"channel {channel_id} changed meanwhile; read it again and retry")
    if new_template != old_template:
        _detach_template(scope, account_id, old_template, channel_id)
    forget_cache()
    if defn["kind"] == "wecom_contact_way":
        refresh_contact_way(account_id, channel_id, now)
        channel = load(account_id, channel_id)
    elif defn["kind"] == "wecom_group":  # a new cap may move the code
        from ..groups.codes import rotate

        rotate(account_id, channel_id, now)
        channel = load(account_id, channel_id)
    return named(scope, account_id, [view(channel)])[0]


def archive_channel(scope: Scope, account_id: str, channel_id: str) -> dict:
    """Stop a channel: its statistics stay; a contact way is deleted at WeCom; an OA code cannot be
    revoked at WeChat, so its scans keep being attributed to it (archived channels still resolve)."""
    scope.check(account_id)
    channel = load(account_id, channel_id, scope)
    if channel["status"] == "archived":
        return view(channel)
    if channel["kind"] == "wecom_group" and channel["config_id"]:
        from ..groups.codes import delete_join_way

        delete_join_way(common.gateway_of(common.account_of(account_id)), channel["config_id"])
    if channel["kind"] == "wecom_contact_way" and channel["config_id"]:
        try:
            common.gateway_of(common.account_of(account_id)).post("externalcontact/del_contact_way",
                                                    {"config_id": channel["config_id"]})
        except WeChatError as exc:
            if exc.errcode != 41044:  # already gone
                raise
    store().update_channel(scope, account_id, channel_id, {"status": "archived", "upkeep": None,
                                                   "updated_at": datetime.now(UTC)})
    if channel["kind"] == "wecom_group":  # an archived code no longer holds its template
        _detach_template(scope, account_id, channel["definition"].get("welcome_template"), channel_id)
    forget_cache()
    return view(load(account_id, channel_id, scope))


def renew_qrcode(scope: Scope, account_id: str, channel_id: str, now: float | None = None) -> dict:
    """A temporary OA code expires (30 days at most): issue a fresh ticket for the same scene, so the
    channel, its statistics and its welcome carry on. Earlier prints stop working when they expire."""
    scope.check(account_id)
    now = time.time() if now is None else now
    channel = load(account_id, channel_id, scope)
    defn = channel["definition"]
    if channel["kind"] != "oa_qr" or defn.get("qr_type") != "temporary":
        raise Conflict("only temporary OA codes expire; this channel's code does not need renewing")
    if channel["status"] != "active":
        raise Conflict(f"channel {channel_id} is archived")
    res = common.gateway_of(common.account_of(account_id)).client.qrcode.create(rules.qrcode_request(defn, channel_id))
    store().update_channel(scope, account_id, channel_id, {
        "ticket": res["ticket"], "url": res["url"],
        "expires_at": int(now) + int(res.get("expire_seconds") or defn["expire_seconds"]),
        "updated_at": datetime.fromtimestamp(now, UTC)})
    return view(load(account_id, channel_id, scope))
