"""The reply rule store's in-memory twin: the same conditions as DynamoDB under one lock, copies out."""

from __future__ import annotations

import copy
import threading
from datetime import datetime

from ...errors import Conflict, NotFound
from ...tenancy import Scope
from .base import stored_rule


class MemoryReplyRuleStore:
    def __init__(self):
        self.lock = threading.RLock()
        self.rules: dict[tuple[str, str], dict] = {}  # (account_id, rule_id)
        self.settings: dict[tuple[str, str], dict] = {}  # (account_id, name)

    def load_replies(self, scope: Scope, account_id: str) -> tuple[list[dict], dict[str, dict]]:
        rules = self.list_rules(scope, account_id)
        with self.lock:
            settings = {n: copy.deepcopy(c) for (a, n), c in self.settings.items() if a == account_id}
        return rules, settings

    def list_rules(self, scope: Scope, account_id: str) -> list[dict]:
        scope.check(account_id)
        with self.lock:
            return [copy.deepcopy(r) for (a, _i), r in sorted(self.rules.items()) if a == account_id]

    def get_rule(self, scope: Scope, account_id: str, rule_id: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.rules.get((account_id, rule_id)))

    def _put(self, account_id: str, rule_id: str, rule: dict, now: datetime) -> dict:
        stored = self.rules[(account_id, rule_id)] = stored_rule(rule_id, copy.deepcopy(rule), now)
        return copy.deepcopy(stored)

    def create_rule(self, scope: Scope, account_id: str, rule_id: str, rule: dict, now: datetime) -> dict:
        scope.check(account_id)
        with self.lock:
            if (account_id, rule_id) in self.rules:
                raise Conflict(f"reply rule {rule_id!r} exists already")
            return self._put(account_id, rule_id, rule, now)

    def replace_rule(self, scope: Scope, account_id: str, rule_id: str, rule: dict, now: datetime) -> dict:
        scope.check(account_id)
        with self.lock:
            if (account_id, rule_id) not in self.rules:
                raise NotFound(f"no reply rule {rule_id!r} in account {account_id!r}")
            return self._put(account_id, rule_id, rule, now)

    def delete_rule(self, scope: Scope, account_id: str, rule_id: str) -> bool:
        scope.check(account_id)
        with self.lock:
            return self.rules.pop((account_id, rule_id), None) is not None

    def get_setting(self, scope: Scope, account_id: str, name: str) -> dict | None:
        scope.check(account_id)
        with self.lock:
            return copy.deepcopy(self.settings.get((account_id, name)))

    def put_setting(self, scope: Scope, account_id: str, name: str, content: dict | None, now: datetime) -> None:
        scope.check(account_id)
        with self.lock:
            if content is None:
                self.settings.pop((account_id, name), None)
            else:
                self.settings[(account_id, name)] = copy.deepcopy(content)
