"""Table `reply_rules`: per-account passive-reply rules and reply settings (welcome, default reply).

Partition key account_id, sort key `item_id`: `rule#<id>` for keyword/click rules, `settings#welcome`
and `settings#default` for the follow welcome (OA) or customer welcome (WeCom) and the default reply.
One Query loads everything an account answers with (the callback path caches it per container).
"""

from __future__ import annotations

import json

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from ..domain.instants import answer_time
from .registry import table

RULE = "rule#"
SETTINGS = "settings#"


@table("reply_rules")
class ReplyRuleRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    match = UnicodeAttribute(null=True)  # exact | contains | regex | click (rules only)
    keywords = ListAttribute(of=UnicodeAttribute, null=True)
    priority = NumberAttribute(default=0)
    enabled = BooleanAttribute(default=True)
    name = UnicodeAttribute(null=True)
    content = UnicodeAttribute()  # JSON reply content
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)

    def as_rule(self) -> dict:
        return {"rule_id": self.item_id[len(RULE):], "match": self.match, "keywords": list(self.keywords or []),
                "priority": int(self.priority or 0), "enabled": bool(self.enabled), "name": self.name or "",
                "reply": json.loads(self.content), "updated_at": answer_time(self.updated_at)}


# The repository (tenancy, conditions) is the reply rule store: scrm.stores.reply_rules.dynamo.
