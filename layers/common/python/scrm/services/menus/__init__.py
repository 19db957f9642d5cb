"""Custom menus of an Official Account, and what their entries are used for.

- admin: drafts (validated by scrm.contracts.menus, every problem at its field), publishing a draft
  (menu/create; the menu already published is not sent again), versions, rollback (republishes an earlier
  version's exact buttons), delete (menu/delete), WeChat's current menu, conditional menus (addconditional,
  delconditional, trymatch)
- stats: CLICK and VIEW callbacks counted per entry and day (exactly once, sharded like the channel counters,
  with unique users), and the report joined with the published menu (names, entries nobody used)
"""

from .admin import (  # noqa: F401
    MAX_CONDITIONALS,
    MAX_DRAFTS,
    add_conditional,
    create_draft,
    current_menu,
    delete_conditional,
    delete_draft,
    delete_menu,
    get_draft,
    get_version,
    list_conditionals,
    list_drafts,
    page_versions,
    publish,
    replace_draft,
    rollback,
    try_match,
)
from .stats import CLAIMED_PEAK_CLICKS_PER_SECOND, count_event, report  # noqa: F401
