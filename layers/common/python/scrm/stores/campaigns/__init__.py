"""The campaign store (see base.py): the interface, its rows and refusals, and the in-memory twin.

The DynamoDB implementation is `scrm.stores.campaigns.dynamo.DynamoCampaignStore` (imported lazily by
scrm.bootstrap.campaign_store: it loads PynamoDB)."""

from .base import (
                   AlreadyRedeemed,
                   CampaignRow,
                   CampaignStore,
                   CodeSlot,
                   DrawPlan,
                   DrawRow,
                   DuplicateDraw,
                   DuplicateVote,
                   LedgerBusy,
                   LimitReached,
                   Participant,
                   ShardChange,
                   ShardMoved,
                   ShardStock,
                   ShareLink,
                   StaleVersion,
                   TooManyItems,
                   UploadBusy,
                   UploadLease,
                   VotePlan,
                   VoteRow,
                   VoteTally,
                   instant_id,
                   lottery_id,
                   share_reward_id,
                   vote_id,
)
from .memory import MemoryCampaignStore

__all__ = ["AlreadyRedeemed", "CampaignRow", "CampaignStore", "CodeSlot", "DrawPlan", "DrawRow", "DuplicateDraw",
           "DuplicateVote", "LedgerBusy", "LimitReached", "MemoryCampaignStore", "Participant", "ShardChange",
           "ShardMoved", "ShardStock", "ShareLink", "StaleVersion", "TooManyItems", "UploadBusy", "UploadLease",
           "VotePlan", "VoteRow", "VoteTally", "instant_id", "lottery_id", "share_reward_id", "vote_id"]
