"""The reply rule store: an account's passive-reply rules and its reply settings (the welcome, the default reply;
table `reply_rules`, model in scrm.data.reply_rules).

A rule is a plain dict: rule_id, match (exact | contains | regex | click), keywords, priority, enabled, name,
reply (the reply content), updated_at (ISO text or None). A setting is a content dict stored under a name
(`welcome`, `default`). One read (`load_replies`) gives everything an account answers with: the callback path
caches it. It is the read side (`ReplyReads`) the callback path and workers use, handed out on its own
(`bootstrap.reply_reads()`) so that they are granted only reads (infra/access.py grants per class); a twin serves
both.

Tenancy: every method takes the caller's scope and the account, and refuses (Forbidden) an account the scope may
not act for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.instants import answer_time
from ...tenancy import Scope

SETTING_NAMES = ("welcome", "default")


def stored_rule(rule_id: str, rule: dict, updated_at: datetime) -> dict:
    """The rule as both stores hand it back after a write."""
    return {"rule_id": rule_id, "match": rule["match"], "keywords": list(rule["keywords"]),
            "priority": int(rule["priority"]), "enabled": bool(rule["enabled"]), "name": rule.get("name") or "",
            "reply": rule["reply"], "updated_at": answer_time(updated_at)}


class ReplyReads(Protocol):
    def load_replies(self, scope: Scope, account_id: str) -> tuple[list[dict], dict[str, dict]]:
        """(every rule, {setting name: content}) of the account, in one read."""


class ReplyRuleStore(ReplyReads, Protocol):
    def list_rules(self, scope: Scope, account_id: str) -> list[dict]:
        """Every rule of the account (an account has at most a few hundred: the service caps them)."""

    def get_rule(self, scope: Scope, account_id: str, rule_id: str) -> dict | None:
        """The rule (strongly consistent), or None."""

    def create_rule(self, scope: Scope, account_id: str, rule_id: str, rule: dict, now: datetime) -> dict:
        """Store a new rule, only if the id is free (Conflict otherwise, nothing overwritten)."""

    def replace_rule(self, scope: Scope, account_id: str, rule_id: str, rule: dict, now: datetime) -> dict:
        """Replace a rule, only if it exists (NotFound otherwise, nothing created)."""

    def delete_rule(self, scope: Scope, account_id: str, rule_id: str) -> bool:
        """Delete the rule; False when there was none."""

    def get_setting(self, scope: Scope, account_id: str, name: str) -> dict | None: ...

    def put_setting(self, scope: Scope, account_id: str, name: str, content: dict | None, now: datetime) -> None:
        """Set a setting; None removes it (idempotent)."""
