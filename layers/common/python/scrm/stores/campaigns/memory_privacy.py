"""The in-memory campaign store's privacy part (see privacy.py): the twin's dicts, changed as the DynamoDB items
are (the person's rows re-keyed to the pseudonym, counters and stock unchanged)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from ...domain.persons import Person, swap_sk
from ...tenancy import Scope


def _rekeyed(rows: dict, old: str, new: str, row) -> None:
    rows.pop(old, None)
    rows[new] = row


class MemoryCampaignPrivacy:
    """Mixed into MemoryCampaignStore: its campaigns, draws, people, days, votes, links, marks and pools."""

    def _keys(self, scope: Scope, account_id: str) -> list[tuple[str, str]]:
        scope.check(account_id)
        return sorted(k for k in self.campaigns if k[0] == account_id)

    def campaign_ids_of(self, scope: Scope, account_id: str) -> list[str]:
        return [c for _a, c in self._keys(scope, account_id)]

    def person_campaigns(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._keys(scope, p.account_id):
                row = self.campaigns[key]
                text = json.dumps(row.lottery_result, ensure_ascii=False) if row.lottery_result else None
                if p.mentions(text):
                    out.append({"campaign_id": row.campaign_id, "lottery_result": row.lottery_result})
                    if erase:
                        self.campaigns[key] = replace(row, lottery_result=json.loads(p.scrub(text)))
        return out

    def person_draws(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._keys(scope, p.account_id):
                draws = self.draws.get(key, {})
                for draw_id, row in sorted(draws.items()):
                    if row.openid in p.ids or swap_sk(draw_id, p) != draw_id:
                        out.append(asdict(row))
                        if erase:
                            _rekeyed(draws, draw_id, swap_sk(draw_id, p),
                                     replace(row, draw_id=swap_sk(draw_id, p), openid=p.swap(row.openid),
                                             redemption_note=p.scrub(row.redemption_note)))
        return out

    def person_participants(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._keys(scope, p.account_id):
                people = self.people.get(key, {})
                for openid in sorted(p.ids & set(people)):
                    out.append(asdict(people[openid]))
                    if erase:
                        _rekeyed(people, openid, p.pseudonym, replace(people[openid], openid=p.pseudonym))
                for day_key in sorted(d for d in self.days if d[:2] == key and d[2] in p.ids):
                    out.append({"openid": day_key[2], "day": day_key[3], "draws": self.days[day_key]})
                    if erase:
                        self.days[(*key, p.pseudonym, day_key[3])] = self.days.pop(day_key)
        return out

    def person_votes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._keys(scope, p.account_id):
                votes = self.votes.get(key, {})
                for vote_id, row in sorted(votes.items()):
                    if row.openid in p.ids:
                        out.append(asdict(row))
                        if erase:
                            _rekeyed(votes, vote_id, swap_sk(vote_id, p),
                                     replace(row, vote_id=swap_sk(vote_id, p), openid=p.pseudonym))
        return out

    def person_shares(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._keys(scope, p.account_id):
                links = self.links.get(key, {})
                for share_id, link in sorted(links.items()):
                    if link.owner in p.ids:
                        out.append({**asdict(link), "granted": sorted(link.granted)})
                    if erase and (link.owner in p.ids or share_id in p.renames or link.parent in p.renames):
                        _rekeyed(links, share_id, p.swap(share_id),
                                 replace(link, share_id=p.swap(share_id), owner=p.swap(link.owner),
                                         parent=p.swap(link.parent)))
                for mark in sorted(m for m in self.marks if m[:2] == key):
                    if mark[4] in p.ids:
                        out.append({"kind": mark[2], "share_id": mark[3], "openid": mark[4]})
                    if erase and (mark[4] in p.ids or mark[3] in p.renames):
                        self.marks.discard(mark)
                        self.marks.add((*key, mark[2], p.swap(mark[3]), p.swap(mark[4])))
        return out

    def person_coupon_codes(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        out = []
        with self.lock:
            for key in self._keys(scope, p.account_id):
                for (acct, camp, prize_id), pool in sorted(self.pools.items()):
                    for slot_at, slot in sorted(pool.slots.items()):
                        if (acct, camp) == key and slot.get("claimed_by") in p.ids:
                            out.append({"prize_id": prize_id, "shard": slot_at[0], "n": slot_at[1], **slot})
                            if erase:
                                slot.update(claimed_by=p.pseudonym, draw_id=swap_sk(slot.get("draw_id") or "", p)
                                            or None)
        return out
