"""Attribution, by the name the event worker's handler list, the tagging schedule and functions/ use: its home is
scrm.services.channels.attribution (importing this registers its event handlers). "Now" is the container's
clock (scrm.bootstrap), so a test fixes it with `bootstrap.reset(clock=...)` rather than patching this module."""

from .channels.attribution import attribute, find_contact, flush_taggings, on_oa_event, on_wecom_event

# What the event worker and the tagging schedule run through this name (infra/access.py follows these).
ENTRY_POINTS = (on_oa_event, on_wecom_event, flush_taggings)

__all__ = ["ENTRY_POINTS", "attribute", "find_contact", "flush_taggings", "on_oa_event", "on_wecom_event"]
