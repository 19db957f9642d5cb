"""Group welcome templates (入群欢迎语素材) of a WeCom corp, managed through the admin API and kept in step with
WeCom's library (https://developer.work.weixin.qq.com/document/path/92366): our record's id IS WeCom's template_id.

- create: `group_welcome_template/add` first (WeCom makes the id), then `get` to keep what WeCom holds (it may
  rewrite an image to its own pic_url), then our record;
- update: `group_welcome_template/edit` with the whole template, `get`, then our record;
- delete: refused (409) while a group code uses it. Our record goes `deleting` first, conditional on no code
  using it (so none can start using it meanwhile), then `group_welcome_template/del`, then the record is removed;
  WeCom refusing puts it back to `active`.
A group code (channel kind `wecom_group`) names the template in `welcome_template`; attaching adds the channel to
the template's `used_by` (conditional on the template being active), detaching takes it away.
"""

from __future__ import annotations

from ... import bootstrap
from ...contracts import parse
from ...contracts.groups import ATTACHMENTS, GroupWelcomeTemplateBody
from ...domain.instants import answer_time
from ...errors import Conflict, NotFound, ValidationError, WeChatError
from ...tenancy import Scope
from ..channels import common

DOC = "https://developer.work.weixin.qq.com/document/path/92366"
MAX_TEMPLATES = 100  # "每个企业的入群欢迎语素材库中，最多容纳100个素材"
CONTENT = ("text", *ATTACHMENTS)
MEDIA_ERRORS = {40007: "invalid media_id", 40058: "invalid parameter"}


def _store():
    return bootstrap.group_store()


def view(t: dict) -> dict:
    return {"template_id": t["template_id"], "name": t["name"], **{k: t.get(k) for k in CONTENT},
            "used_by": list(t.get("used_by") or []), "created_at": answer_time(t.get("created_at")),
            "updated_at": answer_time(t.get("updated_at"))}


def _gateway(account_id: str):
    account = common.account_of(account_id)
    if account.kind != "wecom":
        raise ValidationError("account_id: group welcome templates are for WeCom corps", field="account_id")
    return common.gateway_of(account)


def _wecom_call(gateway, path: str, body: dict) -> dict:
    """A template call; WeCom refusing what we sent (a media_id it does not know, ...) is a 400."""
    try:
        return gateway.post(path, body)  # https://developer.work.weixin.qq.com/document/path/92366
    except WeChatError as exc:
        if exc.errcode in MEDIA_ERRORS:
            raise ValidationError(f"body: WeCom refused the template ({exc.errcode} {exc.errmsg})",
                                  field="body") from None
        raise


def _content(parsed: GroupWelcomeTemplateBody) -> dict:
    dumped = parsed.model_dump(exclude_none=True)
    return {k: dumped[k] for k in CONTENT if k in dumped}


def _as_held(gateway, template_id: str, sent: dict) -> dict:
    """What WeCom holds for the template (group_welcome_template/get), falling back to what we sent."""
    held = gateway.post("externalcontact/group_welcome_template/get", {"template_id": template_id})
    return {k: held.get(k) or sent.get(k) for k in CONTENT if held.get(k) or sent.get(k)}


def create_template(scope: Scope, account_id: str, body: dict, now: float) -> dict:
    scope.check(account_id)
    parsed = parse(GroupWelcomeTemplateBody, body)
    gateway = _gateway(account_id)
    if len(_store().list_templates(scope, account_id)) >= MAX_TEMPLATES:
        raise Conflict(f"the corp holds {MAX_TEMPLATES} group welcome templates, WeCom's limit; delete one first")
    content = _content(parsed)
    res = _wecom_call(gateway, "externalcontact/group_welcome_template/add",
                      {**content, "notify": 1 if parsed.notify else 0})
    template = {"template_id": res["template_id"], "name": parsed.name.strip(),
                **_as_held(gateway, res["template_id"], content), "created_at": int(now), "updated_at": int(now)}
    if not _store().put_template(scope, account_id, template):
        raise Conflict(f"template {res['template_id']!r} is already recorded")
    return view(_store().get_template(scope, account_id, res["template_id"]))


def _existing(scope: Scope, account_id: str, template_id: str) -> dict:
    scope.check(account_id)
    found = _store().get_template(scope, account_id, template_id)
    if found is None:
        raise NotFound(f"group welcome template {template_id!r} not found in account {account_id}")
    return found


def get_template(scope: Scope, account_id: str, template_id: str) -> dict:
    return view(_existing(scope, account_id, template_id))


def list_templates(scope: Scope, account_id: str) -> list[dict]:
    scope.check(account_id)
    return [view(t) for t in _store().list_templates(scope, account_id)]


def update_template(scope: Scope, account_id: str, template_id: str, body: dict, now: float) -> dict:
    stored = _existing(scope, account_id, template_id)
    if stored["status"] != "active":
        raise Conflict(f"group welcome template {template_id!r} is being deleted")
    parsed = parse(GroupWelcomeTemplateBody, body)
    gateway = _gateway(account_id)
    content = _content(parsed)
    _wecom_call(gateway, "externalcontact/group_welcome_template/edit", {"template_id": template_id, **content})
    template = {"template_id": template_id, "name": parsed.name.strip(), **_as_held(gateway, template_id, content),
                "updated_at": int(now)}
    if not _store().replace_template(scope, account_id, template):
        raise Conflict(f"group welcome template {template_id!r} changed meanwhile (being deleted)")
    return view(_store().get_template(scope, account_id, template_id))


def delete_template(scope: Scope, account_id: str, template_id: str) -> dict:
    stored = _existing(scope, account_id, template_id)
    gateway = _gateway(account_id)
    if not _store().begin_delete_template(scope, account_id, template_id):
        now = _store().get_template(scope, account_id, template_id) or stored
        if now.get("used_by"):
            raise Conflict(f"group welcome template {template_id!r} is used by the group codes "
                           f"{', '.join(now['used_by'])}; detach it from them first")
        raise Conflict(f"group welcome template {template_id!r} is already being deleted")
    try:
        gateway.post("externalcontact/group_welcome_template/del", {"template_id": template_id})  # 92366
    except BaseException:
        _store().end_delete_template(scope, account_id, template_id, deleted=False)
        raise
    _store().end_delete_template(scope, account_id, template_id, deleted=True)
    return {"deleted": True, "template_id": template_id}


# ---- attached to group codes

def attach(scope: Scope, account_id: str, template_id: str | None, channel_id: str) -> None:
    """The group code uses the template (a 400 naming welcome_template when it is unknown or being deleted)."""
    if template_id and not _store().use_template(scope, account_id, template_id, channel_id):
        raise ValidationError(f"welcome_template: no group welcome template {template_id!r} in the account (or it "
                              "is being deleted)", field="welcome_template")


def detach(scope: Scope, account_id: str, template_id: str | None, channel_id: str) -> None:
    if template_id:
        _store().release_template(scope, account_id, template_id, channel_id)
