"""Contact-way rotation: keeping a WeCom contact way's staff in effect (daily caps, working hours, backups)."""

from __future__ import annotations

import time

from ...domain import channels as rules
from ...observability import logger
from ...tenancy import Scope
from . import common
from .common import load, store
from .resolve import definition


def adds_today(account_id: str, channel_id: str, now: float) -> dict[str, int]:
    return store().adds_on(Scope.system(account_id), account_id, channel_id, rules.day_of(now))


def note_add(account_id: str, channel_id: str, userid: str, now: float) -> bool:
    """After an add was recorded: if it took the staff member to their cap, take them off the way now
    (the schedule would do it within 5 minutes). The counter's capped mark is set with a conditional update
    (n >= cap and not yet marked), so of many workers seeing the cap at once exactly one updates the contact
    way; if that update fails the mark is removed so the event's retry can try again. Returns whether the
    way was updated."""
    defn = definition(account_id, channel_id)
    if not defn or defn.get("kind") != "wecom_contact_way" or defn.get("status") != "active":
        return False
    cap = rules.cap_of(defn, userid)
    if cap is None:
        return False
    scope, day = Scope.system(account_id), rules.day_of(now)
    if not store().mark_capped(scope, account_id, channel_id, day, userid, cap, now):
        return False  # under the cap, or another worker already handled reaching it
    try:
        return refresh_contact_way(account_id, channel_id, now)
    except BaseException:
        store().unmark_capped(scope, account_id, channel_id, day, userid)
        raise


def refresh_contact_way(account_id: str, channel_id: str, now: float | None = None) -> bool:
    """Put the currently eligible staff on the contact way, only if that set changed. Returns whether
    WeCom was called. The channel's version guards against two workers racing."""
    now = time.time() if now is None else now
    channel = load(account_id, channel_id)
    if channel["kind"] != "wecom_contact_way" or channel["status"] != "active" or not channel["config_id"]:
        return False
    defn = channel["definition"]
    wanted = rules.eligible_staff(defn, now, adds_today(account_id, channel_id, now))
    if sorted(wanted) == sorted(channel["users"] or []):
        return False
    common.gateway_of(common.account_of(account_id)).post("externalcontact/update_contact_way", {
        "config_id": channel["config_id"], "user": wanted, "remark": defn["name"][:30],
        "skip_verify": defn.get("skip_verify", True), "state": channel["scene"]})
    version = channel["version"] or 1
    # a lost race means another worker just wrote the staff it computed: nothing to add
    store().update_channel(Scope.system(account_id), account_id, channel_id,
                   {"users": wanted, "users_updated_at": int(now), "version": version + 1}, expect_version=version)
    return True


def upkeep(now: float | None = None) -> dict:
    """The schedule's pass over every active contact way (working-hours edges, day rollover)."""
    now = time.time() if now is None else now
    checked = updated = failed = 0
    for account_id, channel_id in store().active_ways():
        checked += 1
        try:
            updated += bool(refresh_contact_way(account_id, channel_id, now))
        except Exception:  # one broken channel must not stop the others
            failed += 1
            logger().exception("contact way upkeep failed", extra={"account_id": account_id,
                                                                    "channel_id": channel_id})
    return {"checked": checked, "updated": updated, "failed": failed}
