"""Custom menus of an Official Account, and what their entries are used for.

- admin: drafts (validated by scrm.contracts.menus, every problem at its field), publishing a draft
  (menu/create; the menu already published is not sent again), versions, rollback (republishes an earlier
  version's exact buttons), delete (menu/delete), WeChat's current menu, conditional menus (addconditional,
  delconditional, trymatch)
- clicks, stats: CLICK and VIEW callbacks counted per entry and day (exactly once, sharded like the channel counters,
  with unique users), and the report joined with the published menu (names, entries nobody used)

Nothing is re-exported here: the event worker imports `clicks` alone (so its role is granted the counters' writes
only, infra/access.py), the admin API `admin` and `stats`.
"""
