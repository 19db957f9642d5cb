"""The reply rule store (see base.py): `ReplyRuleStore` and its in-memory twin. The DynamoDB implementation is
scrm.stores.reply_rules.dynamo (imported lazily by scrm.bootstrap: it loads PynamoDB)."""

from .base import ReplyReads, ReplyRuleStore
from .memory import MemoryReplyRuleStore

__all__ = ["MemoryReplyRuleStore", "ReplyReads", "ReplyRuleStore"]
