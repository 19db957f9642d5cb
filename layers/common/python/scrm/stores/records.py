"""Records of one account's partition kept as PynamoDB items with some fields as JSON text: the codec, the create
that refuses a duplicate, the strongly consistent read and the newest-first page that the moment and journey stores
share (each store keeps its own conditions, leases and counters).

The model is handed to each call (not kept on an object) so that infra/access.py, which follows a model passed to a
function of ours, grants the calls made here on the caller's table."""

from __future__ import annotations

import json

from pynamodb.exceptions import PutError

from ..data.paging import one_page
from .pushes.layout import check_cursor


class JsonRecord:
    """The codec of a model's items: `json_fields` are stored as JSON text (Chinese unescaped)."""

    def __init__(self, json_fields: tuple[str, ...]):
        self.json_fields = tuple(json_fields)

    def to_dict(self, rec) -> dict:
        out = {}
        for name in rec.get_attributes():
            value = getattr(rec, name)
            if value is not None:
                out[name] = json.loads(value) if name in self.json_fields else value
        return out

    def encode(self, name: str, value):
        return json.dumps(value, ensure_ascii=False) if name in self.json_fields else value


def create(model, codec: JsonRecord, values: dict, duplicate: type[Exception], noun: str) -> None:
    """Put a new item keyed (account_id, <range key>); `duplicate` when it exists (a conditional put)."""
    range_key = model._range_key_attribute().attr_name
    rec = model(**{k: codec.encode(k, v) for k, v in values.items() if v is not None})
    try:
        rec.save(condition=getattr(model, range_key).does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise duplicate(f"{noun} {(values['account_id'], values[range_key])} exists") from exc
        raise


def get(model, codec: JsonRecord, account_id: str, item_id: str) -> dict | None:
    """The item as last written (a strongly consistent read), or None."""
    try:
        return codec.to_dict(model.get(account_id, item_id, consistent_read=True))
    except model.DoesNotExist:
        return None


def page(model, codec: JsonRecord, account_id: str, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
    """At most `limit` items, newest id first (one Query request), and the cursor after them (a cursor of another
    account raises ValueError)."""
    check_cursor(start, "account_id", account_id, "account")
    items, last = one_page(model.query(account_id, scan_index_forward=False, limit=limit, page_size=limit,
                                       last_evaluated_key=start))
    return [codec.to_dict(r) for r in items], last
