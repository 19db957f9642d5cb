"""The account store: one record per account (an Official Account or a WeCom corp; table `accounts`, model in
scrm.data.accounts) and the callback-Token claims that keep one Token to one account (table `callback_claims`).

Secrets are not here: AppSecret, Token and EncodingAESKey go to SSM through scrm.secrets only.

An account is an `AccountRow`. Tenancy: the admin reads and writes (`get_account`, `accounts_page`,
`update_account`) take the caller's scope and refuse (Forbidden) an account it may not act for. `AccountReads` are
the system's own reads (the callback path, workers, authentication, schedules), with no scope: the composition root
hands them out on their own (`bootstrap.account_reads()`) so that a function that only reads accounts is granted
only reads (infra/access.py grants per class); a twin serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from ...tenancy import Scope

REGISTERING = "registering"  # a claimed id whose registration has not completed (see `claim`)
TOKEN_TAKEN = "token: this callback Token is already used by another account; omit it to have one generated"
UPDATABLE = ("name", "app_id", "original_id", "message_mode", "account_type", "status", "options")


@dataclass(frozen=True)
class AccountRow:
    account_id: str
    kind: str  # "oa" | "wecom"
    app_id: str  # OA appid (wx...) or WeCom corpid
    name: str
    created_at: datetime
    updated_at: datetime
    original_id: str | None = None
    message_mode: str | None = None  # unset: safe
    account_type: str = "service"
    status: str = "active"  # active | disabled | registering
    options: dict = field(default_factory=dict)

    def changed(self, **changes) -> AccountRow:
        return replace(self, **changes)


def check_changes(changes: dict) -> None:
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise ValueError(f"not an account attribute one may change: {sorted(unknown)}")


class AccountReads(Protocol):
    def load_account(self, account_id: str) -> AccountRow | None:
        """The record (strongly consistent), None if there is none; a failing table raises."""

    def account_exists(self, account_id: str) -> bool: ...

    def account_status(self, account_id: str) -> str | None:
        """The account's status, None when there is none (strongly consistent: a disable counts at once)."""


class AccountList(Protocol):
    def every_account(self) -> Iterator[AccountRow]:
        """Every account (the schedules' sweep, bootstrap.account_list; read in pages by the implementation)."""


class AccountStore(AccountReads, AccountList, Protocol):
    def claim_account_id(self, row: AccountRow, stale_before: datetime) -> None:
        """Create the record with status `registering`, only if the id is free or holds a registering claim last
        updated before `stale_before` (a crashed registration). Conflict otherwise: of two concurrent
        registrations of one id exactly one wins, and the loser has written nothing."""

    def abandon_account_claim(self, account_id: str) -> None:
        """Delete the record only while it is still `registering` (give a claimed id back). Idempotent."""

    def save_account(self, row: AccountRow) -> None:
        """Write the whole record (the last step of a registration: secrets are in SSM by then)."""

    def get_account(self, scope: Scope, account_id: str) -> AccountRow:
        """The record for a scope that may act for it; NotFound if there is none."""

    def accounts_page(self, scope: Scope, *, limit: int, start: dict | None = None
                      ) -> tuple[list[AccountRow], dict | None]:
        """A platform or system scope (account_id None) pages through every account (in no set order); any other
        scope sees its own only. (rows, cursor of the next page or None)."""

    def update_account(self, scope: Scope, account_id: str, changes: dict, now: datetime) -> AccountRow:
        """Set these attributes (of UPDATABLE) and updated_at, only if the account exists (NotFound otherwise,
        and nothing is created); returns the record as written."""

    def claim_token(self, account_id: str, token: str) -> None:
        """Claim a callback Token for the account (idempotent for the same account); Conflict if another account
        holds it."""

    def release_token(self, account_id: str, token: str) -> None:
        """Drop the claim on `token` if this account holds it; idempotent."""
