"""Cursor pagination and query parameters of the admin API: every list is paged (`limit`, opaque `cursor`)."""

from __future__ import annotations

import base64
import hashlib
import json

from scrm import errors

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def actual_path(request) -> str:
    """The request's path with its parameters filled in (what a cursor and the audit log are bound to)."""
    path = request.path
    for name, value in (request.uri_params or {}).items():
        path = path.replace("{" + name + "}", value)
    return path


def limit_of(query: dict, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    raw = query.get("limit")
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.ValidationError("limit must be an integer", field="limit") from None
    if not 1 <= value <= maximum:
        raise errors.ValidationError(f"limit must be between 1 and {maximum}", field="limit")
    return value


def _cursor_scope(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()[:12]


def encode_cursor(last_key: dict | None, path: str = "") -> str | None:
    """Opaque cursor: the last key, bound to the listing's path (a cursor of one account fails on another)."""
    if not last_key:
        return None
    raw = json.dumps({"k": last_key, "p": _cursor_scope(path)}, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, path: str = "") -> dict | None:
    if not cursor:
        return None
    bad = errors.ValidationError("cursor is not one this listing returned", field="cursor")
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError):
        raise bad from None
    if (not isinstance(value, dict) or value.get("p") != _cursor_scope(path) or not isinstance(value.get("k"), dict)
            or not value["k"]):
        raise bad
    return value["k"]


def page_position(ctx, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> tuple[int, dict | None, str]:
    """(limit, start key, path) of the page a request asks for."""
    path = actual_path(ctx.request)
    return limit_of(ctx.query, default_limit, max_limit), decode_cursor(ctx.query.get("cursor"), path), path


def _run_query(items_query, limit: int, start: dict | None) -> tuple[list, dict | None]:
    result = items_query(limit=limit, start=start)
    if isinstance(result, tuple):
        items, last = result
        return list(items), last
    return list(result), result.last_evaluated_key


def page(items_query, ctx, *, view=None, default_limit: int = DEFAULT_LIMIT, max_limit: int = MAX_LIMIT) -> dict:
    """`{"items": [...], "next_cursor": str|None}` for one page.

    items_query(limit=int, start=dict|None) returns a PynamoDB result iterator (query/scan with
    `limit=` and `last_evaluated_key=`) or a tuple (items, last_key). `view` maps each item to JSON.
    """
    limit, start, path = page_position(ctx, default_limit, max_limit)
    try:
        items, last = _run_query(items_query, limit, start)
    except errors.ScrmError:
        raise
    except Exception:
        if start is None:
            raise
        raise errors.ValidationError("cursor is not one this listing returned", field="cursor") from None
    return {"items": [view(i) for i in items] if view else items, "next_cursor": encode_cursor(last, path)}
