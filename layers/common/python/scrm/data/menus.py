"""Table `menus`: an Official Account's menu drafts, published versions and conditional menus.

Partition key account_id, sort key `item_id`:
- `draft#<draft_id>`: a draft (`body`: JSON {name, button}), with its own `version` for conditional replaces;
- `ver#<000001>`: a published version (`body`: the wire buttons exactly as sent to menu/create, `digest`,
  `draft_id`, `rollback_of`), never changed once written;
- `meta#current`: the current version (`n`: its number, `digest`; `deleted` after menu/delete) and `seq`, the
  last version number handed out: a version is written in one transaction with `meta#current` conditioned on
  `seq`, so two publishers cannot both write version n;
- `cond#<menuid>`: a conditional menu WeChat accepted (`body`: {name, button, matchrule}).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from .registry import table

DRAFT = "draft#"
VERSION = "ver#"
CURRENT = "meta#current"
CONDITIONAL = "cond#"


def version_key(n: int) -> str:
    return f"{VERSION}{n:06d}"


@table("menus")
class MenuRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    body = UnicodeAttribute(null=True)  # JSON
    digest = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)  # a draft's revision
    n = NumberAttribute(null=True)  # meta#current: the current version's number
    seq = NumberAttribute(null=True)  # meta#current: the last version number written
    deleted = BooleanAttribute(null=True)
    draft_id = UnicodeAttribute(null=True)
    rollback_of = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
