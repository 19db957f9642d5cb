"""The person an export or erasure is about (every identifier we know them by in one account) and the shape every
table's finder shares (`found`): pure, so each capability's store can find and erase its own items of them."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field


@dataclass
class Person:
    """One customer in one account, with every identifier we know them by there."""

    account_id: str
    openids: set[str] = field(default_factory=set)
    external_userids: set[str] = field(default_factory=set)
    unionids: set[str] = field(default_factory=set)
    contact_id: str | None = None
    book: object | None = None  # the contact book (scrm.stores.contacts.Book) the account uses
    pseudonym: str = field(default_factory=lambda: "erased-" + secrets.token_hex(8))
    # share ids are derived from the openid (scrm.services.campaigns.share_id_for): each gets a random new one,
    # or the link would still lead back to whoever knows the openid
    renames: dict[str, str] = field(default_factory=dict)

    @property
    def ids(self) -> set[str]:
        return self.openids | self.external_userids | self.unionids

    def identities(self) -> list[tuple[str, str]]:
        return ([("openid", v) for v in sorted(self.openids)]
                + [("external_userid", v) for v in sorted(self.external_userids)]
                + [("unionid", v) for v in sorted(self.unionids)])

    def identity_keys(self) -> list[str]:
        """The contact book's keys of the person's identities in this account (not the unionid: it may join
        identities of other accounts of a shared book)."""
        return ([f"oa:{self.account_id}:{v}" for v in sorted(self.openids)]
                + [f"wecom:{self.account_id}:{v}" for v in sorted(self.external_userids)])

    def scrub(self, text: str | None) -> str | None:
        """Every identifier of the person in a string (JSON or a path) replaced by the pseudonym."""
        if not text:
            return text
        # whole identifiers only (WeChat ids are [A-Za-z0-9_-]): another person's id containing this one stays
        for old, new in [*((v, self.pseudonym) for v in self.ids), *self.renames.items()]:
            text = re.sub(rf"(?<![A-Za-z0-9_-]){re.escape(old)}(?![A-Za-z0-9_-])", new, text)
        return text

    def state(self) -> dict:
        """What a resumed erasure needs to go on exactly as it began (JSON): the identifiers found when it was
        asked for (the contact book that joined them is erased on the way), the pseudonym and the share ids'
        new names (a re-run step must write the same ones, or one person would count as two)."""
        return {"openids": sorted(self.openids), "external_userids": sorted(self.external_userids),
                "unionids": sorted(self.unionids), "contact_id": self.contact_id, "pseudonym": self.pseudonym,
                "renames": dict(self.renames)}

    @classmethod
    def resumed(cls, account_id: str, state: dict, book: object | None) -> Person:
        return cls(account_id=account_id, openids=set(state["openids"]),
                   external_userids=set(state["external_userids"]), unionids=set(state["unionids"]),
                   contact_id=state.get("contact_id"), book=book, pseudonym=state["pseudonym"],
                   renames=dict(state.get("renames") or {}))

    def swap(self, value: str | None) -> str | None:
        if value in self.ids:
            return self.pseudonym
        return self.renames.get(value, value)

    def mentions(self, text: str | None) -> bool:
        return bool(text) and self.scrub(text) != text


def found(records: Iterable, matches: Callable[[object], bool], show: Callable[[object], dict],
          erase: Callable[[object], None], erasing: bool) -> list[dict]:
    """The records that are about the person (`matches`), as `show` gives them (read before any change);
    each then erased or pseudonymised by `erase` when `erasing`. Every table's finder has this shape."""
    out = []
    for rec in records:
        if matches(rec):
            out.append(show(rec))
            if erasing:
                erase(rec)
    return out


def swap_sk(sk: str, p: Person) -> str:
    """A composite key with each of the person's identifiers (or renamed share ids) swapped."""
    return "#".join(p.swap(part) or part for part in sk.split("#"))
