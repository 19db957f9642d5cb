"""The channels capability: QR channels (OA codes and WeCom contact ways), attributing follows and adds to
them, their statistics and taggings; and the contact books the attribution keeps.

- admin: create, read, list (paged), update, archive, renew (the admin API)
- qr: the channel's code for print
- resolve: a scene or state to its channel, its definition, the channel welcome (callback path; cached)
- rotation: a contact way's staff in effect (caps, hours), kept by a schedule
- stats: the per-channel daily report (sharded counters summed on read)
- attribution: the event handlers and the exactly-once contact write (not imported here: it registers event
  handlers, and whoever reads channels need not load the event machinery; `scrm.services.attribution` is it)
- tagging: the channel's tags applied in batches
- books: shared contact books (platform admins)

Data goes through scrm.stores.channels and scrm.stores.contacts (scrm.bootstrap slots `channel_store`,
`contact_store`; tests pass the in-memory twins).
"""

from . import books, stats, tagging
from .admin import (
    archive_channel,
    create_channel,
    get_channel,
    list_channels,
    list_channels_page,
    renew_qrcode,
    update_channel,
    view,
)
from .common import forget_cache
from .qr import MAX_IMAGE_BYTES, qr_image
from .resolve import definition, resolve, welcome_content, welcome_for
from .rotation import note_add, refresh_contact_way, upkeep

__all__ = ["MAX_IMAGE_BYTES", "archive_channel", "books", "create_channel", "definition",
           "forget_cache", "get_channel", "list_channels", "list_channels_page", "note_add", "qr_image",
           "refresh_contact_way", "renew_qrcode", "resolve", "stats", "tagging", "update_channel", "upkeep", "view",
           "welcome_content", "welcome_for"]


def _register_welcome_provider() -> None:
    from ..callbacks import register_welcome_provider

    register_welcome_provider(welcome_for)


_register_welcome_provider()
