"""Scheduled channel upkeep: contact-way staff rotation (working-hours edges, day rollover, caps) every
5 minutes, and applying buffered channel taggings in batches every minute."""

from chalice import Blueprint, Rate

from scrm.observability import traced

bp = Blueprint(__name__)


@bp.schedule(Rate(5, unit=Rate.MINUTES))
@traced
def channel_upkeep(event):
    from scrm.observability import bind_context
    from scrm.services.channels import upkeep

    bind_context("channel_upkeep", getattr(event, "context", None))
    return upkeep()


@bp.schedule(Rate(1, unit=Rate.MINUTES))
@traced
def channel_tagging(event):
    from scrm.observability import bind_context
    from scrm.services.attribution import flush_taggings

    bind_context("channel_tagging", getattr(event, "context", None))
    return flush_taggings()
