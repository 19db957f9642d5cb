"""Table `reply_rules`: per-account passive-reply rules and reply settings (welcome, default reply).

Partition key account_id, sort key `item_id`: `rule#<id>` for keyword/click rules, `settings#welcome`
and `settings#default` for the follow welcome (OA) or customer welcome (WeCom) and the default reply.
One Query loads everything an account answers with (the callback path caches it per container).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pynamodb.attributes import BooleanAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.models import Model

from ..domain.instants import answer_time
from ..tenancy import Scope
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


def load_all(scope: Scope, account_id: str) -> list[ReplyRuleRecord]:
    scope.check(account_id)
    return list(ReplyRuleRecord.query(account_id))


def list_rules(scope: Scope, account_id: str) -> list[dict]:
    scope.check(account_id)
    return [r.as_rule() for r in ReplyRuleRecord.query(account_id, ReplyRuleRecord.item_id.startswith(RULE))]


def get_rule(scope: Scope, account_id: str, rule_id: str) -> dict | None:
    scope.check(account_id)
    try:
        return ReplyRuleRecord.get(account_id, RULE + rule_id, consistent_read=True).as_rule()
    except ReplyRuleRecord.DoesNotExist:
        return None


def put_rule(scope: Scope, account_id: str, rule_id: str, rule: dict, *, create: bool) -> dict:
    """Create (refusing an existing id) or replace (refusing a missing one); returns the stored rule.

    Raises pynamodb PutError with ConditionalCheckFailedException when the condition fails.
    """
    scope.check(account_id)
    now = datetime.now(UTC)
    rec = ReplyRuleRecord(account_id, RULE + rule_id, match=rule["match"], keywords=rule["keywords"],
                          priority=rule["priority"], enabled=rule["enabled"], name=rule.get("name") or None,
                          content=json.dumps(rule["reply"], ensure_ascii=False), updated_at=now)
    if create:
        rec.created_at = now
        rec.save(condition=ReplyRuleRecord.item_id.does_not_exist())
    else:
        rec.save(condition=ReplyRuleRecord.item_id.exists())
    return rec.as_rule()


def delete_rule(scope: Scope, account_id: str, rule_id: str) -> bool:
    scope.check(account_id)
    try:
        ReplyRuleRecord(account_id, RULE + rule_id).delete(condition=ReplyRuleRecord.item_id.exists())
        return True
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def get_setting(scope: Scope, account_id: str, name: str) -> dict | None:
    scope.check(account_id)
    try:
        return json.loads(ReplyRuleRecord.get(account_id, SETTINGS + name, consistent_read=True).content)
    except ReplyRuleRecord.DoesNotExist:
        return None


def put_setting(scope: Scope, account_id: str, name: str, content: dict | None) -> None:
    scope.check(account_id)
    if content is None:
        ReplyRuleRecord(account_id, SETTINGS + name).delete()
        return
    ReplyRuleRecord(account_id, SETTINGS + name, content=json.dumps(content, ensure_ascii=False),
                    updated_at=datetime.now(UTC)).save()
