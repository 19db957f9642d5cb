"""Member lists (会员名单) and member-verified groups (seed 004: only registered members may join a VIP group).

- admin: the member list's upsert (JSON rows) and CSV import, one member, a code's figures
- verify: the verification page's use cases: the code's public facts, WeChat sign-in (snsapi_base, through the
  Official Account the code names), and the member id + phone check that reveals the group code
- joins: counting `joined` when people arrive in a group through a members-only code (writes of
  scrm.services.groups.membership's transaction)

Phones are kept as HMAC-SHA256 under the account's secret `member_phone_key` (scrm.secrets), never as numbers.
Data goes through scrm.stores.members (scrm.bootstrap slot `member_store`).
"""
