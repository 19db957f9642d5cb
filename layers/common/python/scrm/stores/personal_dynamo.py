"""What the DynamoDB stores' privacy parts share (scrm.stores.<capability>.dynamo_privacy): an item exported as
stored, a re-keying eraser, a filter over a person's identifiers. The analysis of what each function may touch
(infra/access.py) reads the models a function names: every caller names its model next to these calls."""

from __future__ import annotations

from pynamodb.attributes import BinaryAttribute

from ..domain.persons import Person


def dump(item) -> dict:
    binary = {n for n, a in item.get_attributes().items() if isinstance(a, BinaryAttribute)}
    # compressed recipient chunks are exported as what they say about the person instead
    return {k: v for k, v in item.to_simple_dict(force=True).items() if k not in binary}


def rekey(model, **changes):
    """An eraser: put a copy of the item with changed attributes (keys included), then delete the original."""
    def erase(item) -> None:
        values = {name: getattr(item, name) for name in item.get_attributes()}
        values.update({k: (v(item) if callable(v) else v) for k, v in changes.items()})
        values = {k: v for k, v in values.items() if v is not None}
        model(**values).save()
        keys = [item._hash_keyname] + ([item._range_keyname] if item._range_keyname else [])
        if [getattr(item, k) for k in keys] != [values[k] for k in keys]:
            item.delete()
    return erase


def any_of(p: Person, condition) -> object:
    """`condition(value)` for each of the person's identifiers, or-ed (a filter for a scan or query)."""
    out = None
    for value in sorted(p.ids):
        c = condition(value)
        out = c if out is None else out | c
    return out
