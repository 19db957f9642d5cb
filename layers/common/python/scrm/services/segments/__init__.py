"""Segments: rules over the unified contact (an OA follower and a WeCom customer joined by unionid in a shared
contact book), RFM scores with per-account bands, and a built-in VIP segment; previewed before saving, a push's
audience, exported as CSV. Evaluated through an index of each person's facts, never by reading every contact
when an index can answer.

Design
------
**Facts** (`facts`, scrm.domain.segments): one record per person per contact book, keyed `u:<unionid>` when the
book knows the unionid, else the identity (`oa:<account>:<openid>`, `wecom:<account>:<external_userid>`); kept
incrementally by the event worker from the events that already flow (follow / scan / unfollow and WeCom add /
delete with their channel and its tags, messages, menu CLICK / VIEW, template message deliveries) and by the
campaigns' draw and redemption use cases. Each change is exactly once: the event's marker, the facts (version
checked) and their index entries are one transaction (scrm.stores.segments). A record first written under an
openid folds into the unionid's once the unionid is known.

**RFM**: recency = days since the last interaction (message, menu click, draw, redemption), frequency =
interactions in the account's window (90 days by default, kept per China day), value = Σ weight × count (wins 1,
redemptions 3, draws 0 by default); each scored 1..5 by four ascending thresholds, configurable per account
(`PUT /accounts/{id}/segments/rfm`). The built-in segment `vip` is R ≥ 4, F ≥ 4, M ≥ 4.

**Rules** (scrm.contracts.segments.Rule, pydantic): `all` / `any` of conditions on tags, channels, first touch
and last interaction dates (within N days, after / before a China date), counts (draws, wins, redemptions,
messages, menu clicks, push deliveries) and RFM scores; every wrong condition named at its path
(`rule.all[1].op`). Conditions naming a tag deleted from the WeCom catalogue, or a channel deleted or archived,
are flagged in every answer (`flags`, with the condition's path).

**The index**: per person, entries `tag:<id>`, `ch:<channel>` and `all` (set terms), `first`, `last` (dates) and
one per count above zero (sparse), each on 8 shards by a hash of the person, written with the facts. A preview
plans the rule (`rules.plan`): for `all` the most selective indexable condition (value / counts, then tags and
channels, then first touch, then recency), for `any` the union of its parts; it reads those entries, fetches the
candidates' facts 100 at a time and tests the whole rule. Items read grow with the candidates, not with the
contacts; a rule nothing indexes (only `lacks`, `not_within_days`, `lte 0`, score 1) reads `all` and says so
(`plan.scan`). RFM recency and frequency ranges are computed at read time from `last`, so scores that move with
the clock need no rewriting; value ranges come from the count entries (Σ w·c ≥ T ⇒ some w·c ≥ T/k).

**Membership is not materialised**: a push naming a rule segment (`{"type": "segment", "segment_id": "r…"}` or
`"vip"`) evaluates it through the index when it is previewed and planned, so it holds who matches at that time;
identities that unfollowed (or are no longer a customer) are left out and counted.

Modules: `facts` (the event worker's handlers: the worker imports it alone), `hand_off` (what the draw and
redemption use cases queue for it), `admin` (preview, segments, CSV, RFM bands, push recipients).
"""
