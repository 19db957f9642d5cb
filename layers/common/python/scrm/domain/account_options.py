"""Per-account options: every option the code reads, with its bounds (pure: no AWS).

An account admin sets these (PATCH /accounts/{id} `options`); the shared functions act on them (the push
function sleeps `1 / push_rate_per_second` between sends, plans batches of `push_batch_size`), so a value out of
bounds is refused with the option named (`options.push_rate_per_second`), and an option nobody reads is refused
too (a typo must not look accepted). Sharing a contact book is not an option: it is a platform decision
(scrm.data.contacts, PUT /contact-books/{book_id}).

The table of options and their bounds is `scrm.contracts.accounts.OPTIONS` (the request model is generated
from it); readers are named there.
"""

from __future__ import annotations

from ..contracts import accounts as contract
from ..contracts import parse
from ..contracts.accounts import (  # noqa: F401 (the options' names, re-exported)
    MAX_JSON_BYTES,
    OPTIONS,
    QUOTA_DELIVERIES,
    QUOTA_LIMIT_MAX,
    QUOTA_PLATFORMS,
    QUOTA_RULES_MAX,
    Choice,
    Flag,
    Number,
    QuotaPolicy,
)


def check(options) -> dict:
    """The options if every one is known and within its bounds; else ValidationError naming `options.<name>`
    (every wrong one in `details["errors"]`)."""
    parse(contract.AccountOptions, options, at="options")
    return options


def openapi_schema() -> dict:
    """The options' schema as documented in functions/openapi.yaml (a test keeps the two equal)."""
    return {"type": "object", "additionalProperties": False,
            "properties": {name: spec.schema() for name, spec in OPTIONS.items()}}
