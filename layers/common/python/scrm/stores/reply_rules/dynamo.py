"""The reply rule store on DynamoDB (table `reply_rules`, model scrm.data.reply_rules.ReplyRuleRecord): rules
under `rule#<id>`, settings under `settings#<name>`, one partition per account. `DynamoReplyReads` is the read side
the callback path uses (bootstrap.reply_reads); `DynamoReplyRuleStore` adds the admin reads and the writes."""

from __future__ import annotations

import json
from datetime import datetime

from pynamodb.exceptions import DeleteError, PutError

from ...data.reply_rules import RULE, SETTINGS, ReplyRuleRecord
from ...errors import Conflict, NotFound
from ...tenancy import Scope


def _refused(exc) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def _save(rec: ReplyRuleRecord, condition, refusal: Exception) -> dict:
    """Write the rule under `condition`; `refusal` is raised when it does not hold (nothing written)."""
    try:
        rec.save(condition=condition)
    except PutError as exc:
        if _refused(exc):
            raise refusal from None
        raise
    return rec.as_rule()


class DynamoReplyReads:
    """What the callback path reads (bootstrap.reply_reads)."""

    def load_replies(self, scope: Scope, account_id: str) -> tuple[list[dict], dict[str, dict]]:
        scope.check(account_id)
        rules, settings = [], {}
        for rec in ReplyRuleRecord.query(account_id):
            if rec.item_id.startswith(RULE):
                rules.append(rec.as_rule())
            elif rec.item_id.startswith(SETTINGS):
                settings[rec.item_id[len(SETTINGS):]] = json.loads(rec.content)
        return rules, settings


class DynamoReplyRuleStore(DynamoReplyReads):
    def list_rules(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        return [r.as_rule() for r in ReplyRuleRecord.query(account_id, ReplyRuleRecord.item_id.startswith(RULE))]

    def get_rule(self, scope: Scope, account_id: str, rule_id: str) -> dict | None:
        scope.check(account_id)
        try:
            return ReplyRuleRecord.get(account_id, RULE + rule_id, consistent_read=True).as_rule()
        except ReplyRuleRecord.DoesNotExist:
            return None

    def _record(self, account_id: str, rule_id: str, rule: dict, now: datetime) -> ReplyRuleRecord:
        return ReplyRuleRecord(account_id, RULE + rule_id, match=rule["match"], keywords=list(rule["keywords"]),
                               priority=rule["priority"], enabled=rule["enabled"], name=rule.get("name") or None,
                               content=json.dumps(rule["reply"], ensure_ascii=False), updated_at=now)

    def create_rule(self, scope: Scope, account_id: str, rule_id: str, rule: dict, now: datetime) -> dict:
        scope.check(account_id)
        rec = self._record(account_id, rule_id, rule, now)
        rec.created_at = now
        return _save(rec, ReplyRuleRecord.item_id.does_not_exist(),
                     Conflict(f"reply rule {rule_id!r} exists already"))

    def replace_rule(self, scope: Scope, account_id: str, rule_id: str, rule: dict, now: datetime) -> dict:
        scope.check(account_id)
        rec = self._record(account_id, rule_id, rule, now)
        return _save(rec, ReplyRuleRecord.item_id.exists(), NotFound(f"no reply rule {rule_id!r} in account "
                                                                     f"{account_id!r}"))

    def delete_rule(self, scope: Scope, account_id: str, rule_id: str) -> bool:
        scope.check(account_id)
        try:
            ReplyRuleRecord(account_id, RULE + rule_id).delete(condition=ReplyRuleRecord.item_id.exists())
            return True
        except DeleteError as exc:
            if _refused(exc):
                return False
            raise

    def get_setting(self, scope: Scope, account_id: str, name: str) -> dict | None:
        scope.check(account_id)
        try:
            return json.loads(ReplyRuleRecord.get(account_id, SETTINGS + name, consistent_read=True).content)
        except ReplyRuleRecord.DoesNotExist:
            return None

    def put_setting(self, scope: Scope, account_id: str, name: str, content: dict | None, now: datetime) -> None:
        scope.check(account_id)
        if content is None:
            ReplyRuleRecord(account_id, SETTINGS + name).delete()
            return
        ReplyRuleRecord(account_id, SETTINGS + name, content=json.dumps(content, ensure_ascii=False),
                        updated_at=now).save()
