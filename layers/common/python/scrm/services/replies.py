"""Passive-reply rules and welcome settings: admin use cases, and the cached view the callback path reads.

`settings_for(account_id)` answers from a per-container cache (CACHE_SECONDS), so the callback path pays
one Query per account per container per half-minute, not one per event. Writes through this module
forget the local copy at once; other containers see a change within CACHE_SECONDS.

Regex rules are compiled (RE2) when the settings load, not per event; a stored pattern RE2 will not run, or
regex rules beyond the account's RE2 budget (`domain.replies.matchable`), are skipped and logged, never
raised into the callback path. Creating or changing a rule refuses both, naming the field.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from .. import accounts
from ..bootstrap import TtlCache, container, reply_reads, reply_rule_store
from ..domain.replies import (
    MAX_REGEX_PROGRAM_PER_ACCOUNT,
    ReplySettings,
    Rule,
    answer_text,
    matchable,
    regex_program_size,
    validate_reply,
    validate_rule,
)
from ..errors import NotFound, ValidationError
from ..observability import logger
from ..tenancy import Scope

CACHE_SECONDS = 30
MAX_RULES = 200
SETTING_NAMES = ("welcome", "default")


def _cache() -> TtlCache:
    return container().cache("reply_settings", CACHE_SECONDS)  # account_id -> ReplySettings


def _repo():
    return reply_rule_store()


def _now() -> datetime:
    return datetime.fromtimestamp(container().now(), UTC)


def settings_for(account_id: str) -> ReplySettings:
    hit = _cache().get(account_id)
    if hit is not None:
        return hit
    value, skipped = _load(account_id)
    if skipped:
        for item in skipped:  # stored before RE2 and its budgets: the operator must rewrite these
            logger().warning("reply rule pattern skipped", extra={"account_id": account_id, **item})
    _cache().put(account_id, value)
    return value


def _load(account_id: str) -> tuple[ReplySettings, list[dict]]:
    """The account's stored settings as the callback matches with them, and the rule patterns left out."""
    stored, settings = reply_reads().load_replies(Scope.system(account_id), account_id)
    rules = [Rule(rule_id=r["rule_id"], match=r["match"] or "", keywords=tuple(r["keywords"]), reply=r["reply"],
                  priority=r["priority"], enabled=r["enabled"], name=r["name"]) for r in stored]
    kept, skipped = matchable(rules)
    return ReplySettings(rules=kept, welcome=settings.get("welcome"), default=settings.get("default")), skipped


def forget_cache(account_id: str | None = None) -> None:
    if account_id is None:
        _cache().clear()
    else:
        _cache().pop(account_id)


# ---------------------------------------------------------------- admin use cases


def _platform(account_id: str) -> str:
    return accounts.get(account_id, allow_disabled=True).kind


def _with_refusals(rule: dict) -> dict:
    """A stored rule, plus `refused_keywords` when it holds patterns RE2 will not run (stored before RE2)."""
    if rule.get("match") == "regex":
        refused = Rule(rule_id=rule["rule_id"], match="regex", keywords=tuple(rule["keywords"]), reply={}).refused
        if refused:
            return {**rule, "refused_keywords": [{"keyword": kw, "reason": why} for kw, why in refused]}
    return rule


def list_rules(scope: Scope, account_id: str) -> dict:
    rules = sorted(_repo().list_rules(scope, account_id), key=lambda r: (-r["priority"], r["rule_id"]))
    items = [_with_refusals(r) for r in rules]
    return {"items": items, "next_cursor": None}  # the admin Page shape; an account has at most MAX_RULES


def get_rule(scope: Scope, account_id: str, rule_id: str) -> dict:
    rule = _repo().get_rule(scope, account_id, rule_id)
    if rule is None:
        raise NotFound(f"no reply rule {rule_id!r} in account {account_id!r}")
    return _with_refusals(rule)


def create_rule(scope: Scope, account_id: str, body: dict) -> dict:
    scope.check(account_id)
    rule = validate_rule(body)
    if _platform(account_id) != "oa":
        raise ValidationError("reply rules apply to Official Accounts only", field="account_id")
    existing = _repo().list_rules(scope, account_id)
    if len(existing) >= MAX_RULES:
        raise ValidationError(f"an account has at most {MAX_RULES} reply rules", field="account_id")
    _check_regex_budget(existing, rule)
    now = _now()
    rule_id = now.strftime("%Y%m%d%H%M%S") + uuid.uuid4().hex[:6]
    stored = _repo().create_rule(scope, account_id, rule_id, rule, now)
    forget_cache(account_id)
    return stored


def _check_regex_budget(others: list[dict], rule: dict) -> None:
    """Refuse a rule that would take the account's enabled regex rules over their RE2 instruction budget.

    Two concurrent writes can each pass; the callback path enforces the budget again (`matchable`).
    """
    own = regex_program_size([rule])
    if not own:
        return
    total = regex_program_size(others) + own
    if total > MAX_REGEX_PROGRAM_PER_ACCOUNT:
        raise ValidationError(f"the account's enabled regex rules would compile to {total} RE2 instructions, "
                              f"at most {MAX_REGEX_PROGRAM_PER_ACCOUNT} (this rule: {own}); simplify or disable "
                              "some regex rules", field="keywords")


def update_rule(scope: Scope, account_id: str, rule_id: str, body: dict) -> dict:
    rule = validate_rule(body)
    if rule["match"] == "regex" and rule["enabled"]:
        _check_regex_budget([r for r in _repo().list_rules(scope, account_id) if r["rule_id"] != rule_id], rule)
    stored = _repo().replace_rule(scope, account_id, rule_id, rule, _now())
    forget_cache(account_id)
    return stored


def delete_rule(scope: Scope, account_id: str, rule_id: str) -> None:
    if not _repo().delete_rule(scope, account_id, rule_id):
        raise NotFound(f"no reply rule {rule_id!r} in account {account_id!r}")
    forget_cache(account_id)


def test_message(scope: Scope, account_id: str, text: str) -> dict:
    """What the account would answer a follower who sends `text` now: the rule that matches (or none) and the
    reply, decided as the callback decides (`domain.replies.answer_text`) over the stored rules, not the
    container's cached copy, so a rule just saved is tested. Nothing is sent or recorded."""
    scope.check(account_id)
    if _platform(account_id) != "oa":
        raise ValidationError("reply rules apply to Official Accounts only", field="account_id")
    settings, skipped = _load(account_id)
    rule, reply = answer_text(settings, text)
    matched = None if rule is None else {"rule_id": rule.rule_id, "name": rule.name, "match": rule.match,
                                         "keywords": list(rule.keywords), "priority": rule.priority}
    return {"text": text, "answered_by": "rule" if rule else ("default_reply" if reply else "nothing"),
            "rule": matched, "reply": reply, "skipped": skipped}


def get_welcome(scope: Scope, account_id: str) -> dict:
    repo = _repo()
    return {"welcome": repo.get_setting(scope, account_id, "welcome"),
            "default_reply": repo.get_setting(scope, account_id, "default")}


def put_welcome(scope: Scope, account_id: str, body: dict) -> dict:
    """Replace the welcome (and, for OAs, the default reply); null or absent removes one."""
    scope.check(account_id)
    if not isinstance(body, dict):
        raise ValidationError("body must be a JSON object")
    unknown = set(body) - {"welcome", "default_reply"}
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]}", field=sorted(unknown)[0])
    platform = _platform(account_id)
    welcome = body.get("welcome")
    default = body.get("default_reply")
    if welcome is not None:
        welcome = validate_reply(welcome, "welcome", platform)
    if default is not None:
        if platform != "oa":
            raise ValidationError("a default reply applies to Official Accounts only", field="default_reply")
        default = validate_reply(default, "default_reply", platform)
    repo, now = _repo(), _now()
    repo.put_setting(scope, account_id, "welcome", welcome, now)
    repo.put_setting(scope, account_id, "default", default, now)
    forget_cache(account_id)
    return {"welcome": welcome, "default_reply": default}


