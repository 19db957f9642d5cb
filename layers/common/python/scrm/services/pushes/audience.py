"""Who a push reaches: the audience resolved to (sender, recipient) pairs, who was left out and why, and saved
segments (named audiences; an explicit list is kept chunked beside the segment, never in its item).

Resolving calls WeChat (follower and customer lists): it happens at preview and once per run at planning,
never per batch."""

from __future__ import annotations

import json
import secrets
from collections import Counter

from ... import errors
from ...domain import pushes as rules
from ...domain.instants import answer_time
from ...tenancy import Scope
from .deps import PushDeps

Pairs = list[tuple[str | None, str]]


class Audience:
    def __init__(self, deps: PushDeps):
        self.deps = deps

    def resolve(self, scope: Scope, account, audience: dict, strategy: str, *, push_id: str | None = None,
                segment_id: str | None = None, left_out: Counter | None = None) -> Pairs:
        """The audience as (sender, recipient) pairs of people who can still receive it; sender is the WeCom
        staff member (None for OA). Who was left out, and why, is counted in `left_out` (reason: n)."""
        left_out = Counter() if left_out is None else left_out
        gw = self.deps.gateway_for(account)
        atype = audience["type"]
        if atype == "segment":
            seg = self.deps.store.get_segment(account.account_id, audience["segment_id"])
            if seg is None and _rule_segment(audience["segment_id"]):
                return self._with_senders(gw, account, self._rule_members(scope, account, audience, left_out),
                                          left_out)
            if seg is None:
                raise errors.ValidationError(f"no segment {audience['segment_id']}", field="audience.segment_id")
            if seg["audience"].get("type") == "groups":  # saved before segments refused groups: chat ids are no people
                raise errors.ValidationError(
                    f"segment {seg['segment_id']} holds customer groups; a segment saves people: give the groups "
                    "audience (owners, chat_ids or group_tags) in the push itself", field="audience.segment_id")
            return self.resolve(scope, account, seg["audience"], strategy, segment_id=seg["segment_id"],
                                left_out=left_out)
        if atype == "list":
            owner = f"seg-{segment_id}" if segment_id else push_id
            ids = self.deps.store.batch_recipients(account.account_id, owner, 0, 0) if owner else []
            return self._with_senders(gw, account, [(None, i) for i in ids], left_out)
        if atype == "groups":
            return self._groups(account, audience, left_out)
        if atype in ("channel", "channel_group"):
            return self._with_senders(gw, account, self._channel_members(scope, account, audience, left_out),
                                      left_out)
        audience = self._live_tags(account, audience, left_out)
        pairs = self._oa(gw, audience) if account.kind == "oa" else self._wecom(gw, audience)
        if pairs is None:
            raise errors.ValidationError(f"audience type {atype} is not available for this account",
                                         field="audience")
        return pairs

    def nonempty(self, scope: Scope, account, audience: dict, strategy: str, push_id: str, left_out: Counter
                 ) -> Pairs:
        """`resolve`, refusing an audience nobody would receive (400, saying who was left out and why)."""
        pairs = self.resolve(scope, account, audience, strategy, push_id=push_id, left_out=left_out)
        if not pairs:
            why = ", ".join(f"{n} {reason}" for reason, n in sorted(left_out.items()))
            raise errors.ValidationError("the audience is empty: nobody would receive this push"
                                         + (f" (left out: {why})" if why else ""), field="audience")
        return pairs

    # ---- Official Account
    def _oa(self, gw, audience: dict) -> Pairs | None:
        if audience["type"] == "all":
            return [(None, o) for o in self._oa_pages(gw, None)]
        if audience["type"] == "tags":
            seen: dict[str, None] = {}
            for tag in audience["tag_ids"]:
                seen.update(dict.fromkeys(self._oa_pages(gw, tag)))
            return [(None, o) for o in seen]
        return None

    def _oa_pages(self, gw, tag_id: int | None) -> list[str]:
        """Every follower (tag_id None) or every member of a tag, 10,000 openids a page."""
        out, nxt = [], ""
        while True:
            if tag_id is not None:
                page = self.deps.call(gw.post, "user/tag/get", {"tagid": tag_id, "next_openid": nxt})
            elif nxt:
                page = self.deps.call(gw.get, "user/get", next_openid=nxt)
            else:
                page = self.deps.call(gw.get, "user/get")
            ids = (page.get("data") or {}).get("openid") or []
            out.extend(ids)
            nxt = page.get("next_openid") or ""
            if not ids or not nxt or len(ids) < 10000:
                return out

    # ---- WeCom
    def _wecom(self, gw, audience: dict) -> Pairs | None:
        if audience["type"] == "all":
            return self._wecom_customers(gw)
        if audience["type"] == "staff":
            return self._wecom_customers(gw, audience["userids"])
        if audience["type"] == "tags":
            return self._wecom_tagged(gw, set(audience["tag_ids"]))
        return None

    def _live_tags(self, account, audience: dict, left_out: Counter) -> dict:
        """A WeCom tag audience without the tags deleted from the corp's catalogue since it was saved: each one
        skipped is stated in `left_out` as `tag_deleted:<id>` (0 people: the tag reaches nobody any more)."""
        if account.kind != "wecom" or audience.get("type") != "tags":
            return audience
        from .. import tags

        gone = tags.deleted_ids(Scope.system(account.account_id), account.account_id, audience["tag_ids"])
        for t in gone:
            left_out[f"tag_deleted:{t}"] += 0
        return {**audience, "tag_ids": [t for t in audience["tag_ids"] if t not in gone]} if gone else audience

    def _wecom_staff(self, gw) -> list[str]:
        return list(self.deps.call(gw.get, "externalcontact/get_follow_user_list").get("follow_user") or [])

    def _wecom_customers(self, gw, userids: list[str] | None = None) -> list[tuple[str, str]]:
        pairs = []
        for userid in sorted(userids if userids is not None else self._wecom_staff(gw)):
            try:
                ids = self.deps.call(gw.get, "externalcontact/list", userid=userid).get("external_userid") or []
            except errors.WeChatError as exc:
                if exc.errcode == 84061:  # "not external contact": this member has no customers
                    continue
                raise
            pairs.extend((userid, e) for e in ids)
        return pairs

    def _wecom_tagged(self, gw, tag_ids: set) -> list[tuple[str, str]]:
        staff = sorted(self._wecom_staff(gw))
        pairs = []
        for start in range(0, len(staff), 100):
            cursor = ""
            while True:
                page = self.deps.call(gw.post, "externalcontact/batch/get_by_user",
                                      {"userid_list": staff[start:start + 100], "cursor": cursor, "limit": 100})
                for item in page.get("external_contact_list") or []:
                    info = item.get("follow_info") or {}
                    if tag_ids & set(info.get("tag_id") or []):
                        pairs.append((info.get("userid"), item["external_contact"]["external_userid"]))
                cursor = page.get("next_cursor") or ""
                if not cursor:
                    break
        return pairs

    def _with_senders(self, gw, account, wanted: Pairs, left_out: Counter) -> Pairs:
        """WeCom: each person with a staff member WeCom lists them under now (the one asked for, when given:
        a channel's staff). People nobody serves cannot receive a group message and are left out."""
        if account.kind == "oa":
            return wanted
        owners: dict[str, list[str]] = {}
        for userid, ext in self._wecom_customers(gw):
            owners.setdefault(ext, []).append(userid)
        out = []
        for staff, ext in wanted:
            now = owners.get(ext)
            if not now:
                left_out[rules.LEFT_NOT_CUSTOMER] += 1
            elif staff is not None and staff not in now:
                left_out[rules.LEFT_STAFF] += 1
            else:
                out.append((staff if staff is not None else now[0], ext))
        return out

    # ---- customer groups (the groups capability: scrm.services.groups keeps them from change_external_chat)
    def _groups(self, account, audience: dict, left_out: Counter) -> Pairs:
        """(owner, chat_id) of the live groups the audience names: every group of `owners`, every group carrying
        one of `group_tags`, and the groups of `chat_ids` (sent by their owner). Dismissed, unknown and ownerless
        groups are left out and counted."""
        if account.kind != "wecom":
            raise errors.ValidationError("a groups audience needs a WeCom account", field="audience.type")
        store, scope = self.deps.groups, Scope.system(account.account_id)
        found: dict[str, dict] = {}
        owners = sorted(set(audience.get("owners") or ()))
        if owners:  # through the store's owner index: the owners' groups only, not the account's every group
            found.update(store.groups_of_owners(scope, account.account_id, owners))
        if audience.get("group_tags"):  # customer group tags (scrm.services.groups.tags); deleted ones skipped
            from ..groups.tags import groups_of

            tagged, gone = groups_of(scope, account.account_id, audience["group_tags"], store)
            found.update(tagged)
            for t in gone:
                left_out[f"{rules.LEFT_GROUP_TAG_DELETED}:{t}"] += 0
        wanted = [c for c in audience.get("chat_ids") or () if c not in found]
        known = store.get_groups(scope, account.account_id, wanted) if wanted else {}
        if set(wanted) - set(known):
            left_out[rules.LEFT_UNKNOWN_GROUP] += len(set(wanted) - set(known))
        found.update(known)
        out = []
        for chat_id in sorted(found):
            g = found[chat_id]
            if g.get("status") == "dismissed":
                left_out[rules.LEFT_DISMISSED] += 1
            elif not g.get("owner"):
                left_out[rules.LEFT_NO_OWNER] += 1
            else:
                out.append((g["owner"], chat_id))
        return out

    # ---- rule segments (scrm.services.segments: evaluated through the facts' index at preview and planning)
    def _rule_members(self, scope: Scope, account, audience: dict, left_out: Counter) -> Pairs:
        from ..segments import admin as segments

        try:
            ids = segments.recipients(scope, account.account_id, audience["segment_id"], left_out)
        except errors.NotFound:
            raise errors.ValidationError(f"no segment {audience['segment_id']}", field="audience.segment_id") from None
        return [(None, i) for i in ids]

    # ---- channels (the attribution feature's contact book)
    def _channel_members(self, scope: Scope, account, audience: dict, left_out: Counter) -> Pairs:
        directory = self.deps.contacts or ContactsChannelAudience()
        if audience["type"] == "channel_group":
            channel_ids = directory.channels_in_group(scope, account.account_id, audience["group"])
        else:
            channel_ids = audience["channel_ids"]
        out = []
        for ident, staff, reason in directory.members(account, set(channel_ids)):
            if reason:
                left_out[reason] += 1
            else:
                out.append((staff, ident))
        return out


class ContactsChannelAudience:
    """Members of channels, from the contact book the channel-attribution feature keeps (scrm.data.contacts):
    every contact whose touches include one of the channels and who has an identity on this account."""

    def channels_in_group(self, scope: Scope, account_id: str, group: str) -> list[str]:
        from ..channels import list_channels

        return [c["channel_id"] for c in list_channels(scope, account_id, group=group)]

    def members(self, account, channel_ids: set[str]) -> list[tuple[str, str | None, str | None]]:
        """[(identity, staff, left-out reason)]: the channels' people on this account, each either still
        reachable (reason None; staff = the WeCom staff member they added through the channel) or left out
        (unfollowed, no longer that staff member's customer), judged from their touches in event order."""
        from ...data.contacts import open_book

        book = open_book(Scope.system(account.account_id), account.account_id)  # membership checked there
        out: dict[str, tuple[str, str | None, str | None]] = {}
        for item in book.contacts():
            touches = json.loads(item.touches) if item.touches else []
            if not any(t.get("c") in channel_ids for t in touches):
                continue
            for ident, (staff, reason) in rules.channel_reach(touches, account.account_id, channel_ids).items():
                out.setdefault(ident, (ident, staff, reason))
        return list(out.values())


class Segments:
    """Saved audiences, resolved when a push that names one is previewed or run."""

    def __init__(self, deps: PushDeps):
        self.deps = deps

    def create_segment(self, scope: Scope, account_id: str, body: dict) -> dict:
        scope.check(account_id)
        account = self.deps.account_for(account_id)
        name = body.get("name") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise errors.ValidationError("name must be a non-empty string of at most 128 characters", field="name")
        audience = rules.validate_audience(body.get("audience"), account.kind, nested=True)
        if audience["type"] == "groups":  # a push's sending (chat_type group) follows its own audience's kind
            raise errors.ValidationError("a segment saves people; give a groups audience in the push itself",
                                         field="audience.type")
        check_tags(self.deps, scope, account, audience)
        segment_id = "s" + secrets.token_hex(6)
        if audience["type"] == "list":
            self.deps.store.put_batches(account_id, f"seg-{segment_id}", 0,
                                        [{"no": 0, "recipients": audience["recipients"]}])
            audience = {"type": "list", "count": len(audience["recipients"])}
        seg = {"account_id": account_id, "segment_id": segment_id, "name": name, "audience": audience,
               "created_at": self.deps.clock()}
        self.deps.store.put_segment(seg)
        return named(scope, segment_view(seg))

    def list_segments(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        return self.deps.store.list_segments(account_id)

    def segments_page(self, scope: Scope, account_id: str, *, limit: int = 50, start: dict | None = None
                      ) -> tuple[list[dict], dict | None]:
        scope.check(account_id)
        rows, last = self.deps.store.page_segments(account_id, limit, start)
        return [named(scope, segment_view(r)) for r in rows], last


def _rule_segment(segment_id: str) -> bool:
    from ..segments.admin import is_rule_segment

    return is_rule_segment(segment_id)


def check_tags(deps, scope: Scope, account, audience: dict) -> None:
    from .admin import check_tags as check

    check(deps, scope, account, audience)


def named(scope: Scope, out: dict) -> dict:
    from .admin import named as name

    return name(scope, out)


def segment_view(segment: dict) -> dict:
    return {**segment, "created_at": answer_time(segment.get("created_at"))}
