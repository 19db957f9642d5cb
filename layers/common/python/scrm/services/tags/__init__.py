"""Corp tags (企业客户标签): a WeCom corp's tag catalogue, its admin use cases, the `change_external_tag` callbacks
that keep it in step, and the references channels and push audiences make to tags by id.

The modules, one concern each: common (the store, the seams to the account and its gateway, WeCom's shapes, the
catalogue synced on first use), admin (list, create, rename / reorder, delete, sync), official (an Official
Account's user tags: the same use cases through WeChat's tag API, kept as one group), references (ids checked on
save, names shown, who refers to a tag), callbacks (the change_external_tag handler). The store is
scrm.stores.tags (bootstrap.tag_store)."""

from __future__ import annotations

from ..events import on
from . import official
from .admin import TagInUse, change, create, delete, group_view, list_tags, list_tags_page, sync, tag_rows
from .callbacks import on_tag_change
from .references import check_ids, deleted_ids, named_audience, names, references

__all__ = ["ENTRY_POINTS", "TagInUse", "change", "check_ids", "create", "delete", "deleted_ids", "group_view",
           "list_tags", "list_tags_page", "named_audience", "names", "official", "on_tag_change", "references", "sync",
           "tag_rows"]

on("wecom.change_external_tag")(on_tag_change)

# What the event worker runs through this package (infra/access.py follows these).
ENTRY_POINTS = (on_tag_change,)
