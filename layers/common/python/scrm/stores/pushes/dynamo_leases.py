"""The scheduled item's lease, for every schedule that shares the pushes' shape (pushes, moments): an update that
holds only under its condition, and the claim of a due item by one worker until its lease ends."""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import UpdateError


def _refused(exc: UpdateError) -> bool:
    """False for a failed condition (another worker changed the item first); any other error is raised.

    Each helper below calls `record.update` itself: infra/access.py reads the update there, on the model the
    store hands over, and grants UpdateItem on its table."""
    if exc.cause_response_code == "ConditionalCheckFailedException":
        return False
    raise exc


def update_fields(model, record, changes: dict, encode: Callable, exists, *, expect_status=None,
                  expect_owner: str | None = None) -> bool:
    """Set (or, for None, remove) `changes` while the item `exists`, is in `expect_status` and is held by
    `expect_owner` (each when given)."""
    actions = [getattr(model, k).remove() if v is None else getattr(model, k).set(encode(k, v))
               for k, v in changes.items()]
    cond = exists
    if expect_status is not None:
        cond &= model.status.is_in(*expect_status)
    if expect_owner is not None:
        cond &= model.lease_owner == expect_owner
    try:
        record.update(actions=actions, condition=cond)
    except UpdateError as exc:
        return _refused(exc)
    return True


def claim(model, record, due, owner: str, now: float, lease_until: float, extra_actions: tuple = ()) -> bool:
    """Hold a `due` item for `owner` until `lease_until`, unless another worker's lease is still running."""
    cond = due & (model.lease_until.does_not_exist() | (model.lease_until < now))
    try:
        record.update(actions=[*extra_actions, model.lease_owner.set(owner), model.lease_until.set(lease_until),
                               model.updated_at.set(now)], condition=cond)
    except UpdateError as exc:
        return _refused(exc)
    return True
