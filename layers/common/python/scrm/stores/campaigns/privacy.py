"""The campaign store's privacy part (scrm.services.privacy): each table's items about one person, exported as
stored and, when erasing, pseudonymised (the person's identifiers and share ids become the erasure's pseudonym
and new ids: draws, wins, stock, votes and share counts keep adding up). Tenancy: every method takes the caller's
scope and refuses (Forbidden) another account's campaigns.

Each method is (scope, person, erase) -> the person's items as dicts, read before any change (the shape of
scrm.domain.persons.found); run again after an erasure it finds nothing.
"""

from __future__ import annotations

from typing import Protocol

from ...domain.persons import Person
from ...tenancy import Scope


class CampaignPrivacy(Protocol):
    def campaign_ids_of(self, scope: Scope, account_id: str) -> list[str]:
        """The account's campaign ids (the share links an erasure renames are derived from them)."""

    def person_campaigns(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Campaigns whose published lottery result names the person: the result scrubbed."""

    def person_draws(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Their draws (kept: openid, draw id and redemption note pseudonymised; the code stays)."""

    def person_participants(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Their per-campaign counters and per-day draw counts, re-keyed to the pseudonym."""

    def person_votes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Their ballots, per-day limits, option markers and voter item, re-keyed (the tally unchanged)."""

    def person_shares(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Links they own, views and onward shares they made; renamed links' views by others re-keyed too."""

    def person_coupon_codes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        """Coupon codes they hold (found through their draws, or the pseudonymised ones): holder pseudonymised."""
