"""Records of one account's partition kept as PynamoDB items with some fields as JSON text: the codec, the create
that refuses a duplicate, the strongly consistent read and the newest-first page that the moment and journey stores
share (each store keeps its own conditions, leases and counters)."""

from __future__ import annotations

import json

from pynamodb.exceptions import PutError

from ..data.paging import one_page
from .pushes.layout import check_cursor


class JsonRecord:
    """`model`: a PynamoDB model keyed (account_id, <id>); `json_fields`: its attributes stored as JSON text;
    `duplicate`: the exception create raises when the item exists (`noun` names the item in its message)."""

    def __init__(self, model, json_fields: tuple[str, ...], duplicate: type[Exception], noun: str):
        self.model = model
        self.noun = noun
        self.json_fields = tuple(json_fields)
        self.duplicate = duplicate
        self.range_key = model._range_key_attribute().attr_name

    def to_dict(self, rec) -> dict:
        out = {}
        for name in rec.get_attributes():
            value = getattr(rec, name)
            if value is not None:
                out[name] = json.loads(value) if name in self.json_fields else value
        return out

    def encode(self, name: str, value):
        return json.dumps(value, ensure_ascii=False) if name in self.json_fields else value

    def item(self, values: dict):
        return self.model(**{k: self.encode(k, v) for k, v in values.items() if v is not None})

    def create(self, values: dict) -> None:
        """Put a new item; `duplicate` when (account, id) exists (a conditional put: nothing overwritten)."""
        try:
            self.item(values).save(condition=getattr(self.model, self.range_key).does_not_exist())
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                key = (values["account_id"], values[self.range_key])
                raise self.duplicate(f"{self.noun} {key} exists") from exc
            raise

    def get(self, account_id: str, item_id: str) -> dict | None:
        try:
            return self.to_dict(self.model.get(account_id, item_id, consistent_read=True))
        except self.model.DoesNotExist:
            return None

    def page(self, account_id: str, limit: int, start: dict | None) -> tuple[list[dict], dict | None]:
        """At most `limit` items, newest id first (one Query request), and the cursor after them."""
        check_cursor(start, "account_id", account_id, "account")
        items, last = one_page(self.model.query(account_id, scan_index_forward=False, limit=limit, page_size=limit,
                                                last_evaluated_key=start))
        return [self.to_dict(r) for r in items], last
