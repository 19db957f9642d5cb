"""Campaign request bodies validated in the campaign use cases (scrm.services.campaigns)."""

from __future__ import annotations

from pydantic import Field, model_validator

from . import Body

NOTE_MAX = 500


class RedeemRequest(Body):
    """POST …/campaigns/{campaign_id}/redemptions: the prize handed over, by its draw or by its coupon code."""

    draw_id: str | None = Field(None, max_length=256, description="the draw that won (as the draws list names it)")
    code: str | None = Field(None, max_length=64, description="or the coupon code the winner shows")
    note: str | None = Field(None, max_length=NOTE_MAX, description="what the staff noted (shown in the draws list)")

    @model_validator(mode="after")
    def _names_the_prize(self):
        if not self.draw_id and not self.code:
            raise ValueError("give draw_id or code")
        return self
