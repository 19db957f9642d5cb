"""Playing a function that dies mid-step (the `crash_hook` points a use case offers to tests)."""

from __future__ import annotations


def crash_at(monkeypatch, service, **points: int) -> dict[str, int]:
    """Make `service.crash_hook` raise `service.SimulatedCrash` the next N times each named point is reached
    (`crash_at(mp, reassignment, after_call=2)`). Returns the counts still to hit: all zero once every crash
    happened."""
    left = dict(points)

    def crash(point, **info):
        if left.get(point):
            left[point] -= 1
            raise service.SimulatedCrash(point)

    monkeypatch.setattr(service, "crash_hook", crash)
    return left
