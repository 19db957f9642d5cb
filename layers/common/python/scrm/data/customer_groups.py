"""Table `customer_groups`: WeCom customer groups (客户群), their members, their size per day, the events applied
to them and the events that could not be (an unknown chat id).

Hash `account_id`, range `sk`:
- `g#<chat_id>`: the group (name, owner, status, size, version: every change of the group or its members is one
  transaction conditional on it);
- `m#<chat_id>#<userid>`: a member (how and when they joined, who invited them, the join way's state and the
  channel it belongs to, when they left; `in_group`);
- `d#<chat_id>#<day>`: the group's joins and quits of a China day and its size at the end of the last change;
- `e#<hash of the event's dedupe key>`: the event was applied (written in the same transaction; expires after
  30 days, longer than any redelivery);
- `f#<chat_id>#<hash>`: an event that failed for good (groupchat/get answered an errcode), with it;
- `gt#<tag_id>`: a customer group tag (客户群标签) of the company's catalogue: name, created_at, deleted_at (kept
  when deleted, so what refers to it shows it deleted);
- `gm#<tag_id>#<chat_id>`: the group carries the tag (written with the group's `tags` in one transaction): the
  groups of a tag are one Query;
- `t#<template_id>`: a group welcome template (入群欢迎语素材; WeCom's template_id), its content as JSON
  (`content`), `status` active | deleting and `used_by`, the group codes (channel ids) attached to it.
GSI `by_member` (member_key = `<account_id>#<userid>`) finds a person's member items (privacy export/erasure).
GSI `by_owner` (owner_key = `<account_id>#<owner userid>`, on group items only) finds an owner's groups (a push to
the groups of some owners reads those groups, not the account's every group).
"""

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .registry import table


class ByMember(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_member"
        projection = AllProjection()

    member_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class ByOwner(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_owner"
        projection = AllProjection()

    owner_key = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


@table("customer_groups")
class GroupRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    chat_id = UnicodeAttribute(null=True)
    # group
    name = UnicodeAttribute(null=True)
    owner = UnicodeAttribute(null=True)
    status = UnicodeAttribute(null=True)  # active | dismissed
    size = NumberAttribute(null=True)
    version = NumberAttribute(null=True)
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    dismissed_at = NumberAttribute(null=True)
    vip = BooleanAttribute(null=True)  # a customer leaving it is a loss alert
    owner_key = UnicodeAttribute(null=True)  # <account_id>#<owner>: the by_owner index
    tags = UnicodeSetAttribute(null=True)  # its customer group tags' ids
    deleted_at = NumberAttribute(null=True)  # a group tag deleted from the catalogue
    # member
    userid = UnicodeAttribute(null=True)
    member_key = UnicodeAttribute(null=True)
    member_type = NumberAttribute(null=True)  # 1 staff, 2 external contact
    join_scene = NumberAttribute(null=True)
    invitor = UnicodeAttribute(null=True)
    join_time = NumberAttribute(null=True)
    quit_time = NumberAttribute(null=True)
    quit_scene = NumberAttribute(null=True)
    state = UnicodeAttribute(null=True)
    channel_id = UnicodeAttribute(null=True)
    in_group = BooleanAttribute(null=True)
    # day
    day = UnicodeAttribute(null=True)
    joins = NumberAttribute(null=True)
    quits = NumberAttribute(null=True)
    # applied / failed events
    dedupe_key = UnicodeAttribute(null=True)
    kind = UnicodeAttribute(null=True)
    errcode = NumberAttribute(null=True)
    errmsg = UnicodeAttribute(null=True)
    at = NumberAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    # group welcome template
    content = UnicodeAttribute(null=True)  # JSON: {name, text, image, link, miniprogram}
    used_by = UnicodeSetAttribute(null=True)

    by_member = ByMember()
    by_owner = ByOwner()
