"""The campaign store's privacy part on DynamoDB (see privacy.py): the tables' items read on their models."""

from __future__ import annotations

import json

from ...data.campaigns import CampaignRecord, campaign_key
from ...data.coupon_codes import CouponCode
from ...data.draws import DrawRecord
from ...data.participants import ParticipantRecord
from ...data.shares import ShareRecord
from ...data.votes import VoteRecord
from ...domain.persons import Person, found, swap_sk
from ...tenancy import Scope
from ..personal_dynamo import dump, rekey


class DynamoCampaignPrivacy:
    """Tables campaigns, draws, participants, votes, shares and coupon_codes, for one person."""

    def _campaigns(self, scope: Scope, account_id: str) -> list[tuple[object, str]]:
        scope.check(account_id)
        return [(c, campaign_key(account_id, c.campaign_id)) for c in CampaignRecord.query(account_id)]

    def _in_campaigns(self, scope: Scope, p: Person, query) -> list:
        return [rec for _c, key in self._campaigns(scope, p.account_id) for rec in query(key)]

    def campaign_ids_of(self, scope: Scope, account_id: str) -> list[str]:
        return [c.campaign_id for c, _key in self._campaigns(scope, account_id)]

    def person_campaigns(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        def text(r):
            return json.dumps(r.lottery_result, ensure_ascii=False) if r.lottery_result else None

        return found((c for c, _k in self._campaigns(scope, p.account_id)), lambda r: p.mentions(text(r)),
                     lambda r: {"campaign_id": r.campaign_id, "lottery_result": r.lottery_result},
                     lambda r: r.update(actions=[CampaignRecord.lottery_result.set(json.loads(p.scrub(text(r))))]),
                     erase)

    def person_draws(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        records = self._in_campaigns(scope, p, lambda key: DrawRecord.query(key, consistent_read=True))
        return found(records, lambda d: d.openid in p.ids or swap_sk(d.draw_id, p) != d.draw_id, dump,
                     rekey(DrawRecord, draw_id=lambda d: swap_sk(d.draw_id, p), openid=lambda d: p.swap(d.openid),
                           redemption_note=lambda d: p.scrub(d.redemption_note)), erase)

    def person_participants(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        def query(key):
            for value in sorted(p.ids):
                for prefix in (f"u#{value}", f"d#{value}#"):
                    for rec in ParticipantRecord.query(key, ParticipantRecord.sk.startswith(prefix),
                                                       consistent_read=True):
                        if not prefix.startswith("u#") or rec.sk == prefix:  # not u#<other openid starting the same>
                            yield rec

        return found(self._in_campaigns(scope, p, query), lambda _: True, dump,
                     rekey(ParticipantRecord, sk=lambda r: swap_sk(r.sk, p), openid=lambda r: p.swap(r.openid)),
                     erase)

    def person_votes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        def query(key):
            for value in sorted(p.ids):
                for prefix in ("b", "d", "o", "u"):
                    start = f"{prefix}#{value}" + ("" if prefix == "u" else "#")
                    for rec in VoteRecord.query(key, VoteRecord.sk.startswith(start), consistent_read=True):
                        if prefix != "u" or rec.sk == start:  # not u#<other openid starting the same>
                            yield rec

        return found(self._in_campaigns(scope, p, query), lambda _: True, dump,
                     rekey(VoteRecord, sk=lambda r: swap_sk(r.sk, p), openid=lambda r: p.swap(r.openid)), erase)

    def person_shares(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        change = rekey(ShareRecord, sk=lambda r: swap_sk(r.sk, p), share_id=lambda r: p.swap(r.share_id),
                       owner=lambda r: p.swap(r.owner), parent=lambda r: p.swap(r.parent))
        for rec in self._in_campaigns(scope, p, lambda key: ShareRecord.query(key, consistent_read=True)):
            # their link (owner), views and onward shares they made (v#/f#<share>#<openid>), and the views and
            # onward shares of their link by others and links shared on from it (share id renamed)
            if rec.owner not in p.ids and rec.parent not in p.renames and swap_sk(rec.sk, p) == rec.sk:
                continue
            if rec.owner in p.ids or rec.sk.rsplit("#", 1)[-1] in p.ids:  # not other viewers' markers
                out.append(dump(rec))
            if erase:
                change(rec)
        return out

    def person_coupon_codes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        pools = sorted({f"{key}#{d.prize_id}" for _c, key in self._campaigns(scope, p.account_id)
                        for d in DrawRecord.query(key, consistent_read=True)
                        if d.code and d.prize_id and d.openid in p.ids | {p.pseudonym}})
        records = (rec for pool in pools
                   for rec in CouponCode.query(pool, CouponCode.sk.startswith("slot#"), consistent_read=True))
        return found(records, lambda r: r.claimed_by in p.ids, dump,
                     lambda r: r.update(actions=[CouponCode.claimed_by.set(p.pseudonym),
                                                 CouponCode.draw_id.set(swap_sk(r.draw_id or "", p) or None)]),
                     erase)
