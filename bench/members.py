"""Member-verified group figures (counts, not times), in process on the in-memory member store and the real rules:

1. A CSV import of 1,000 rows with 30 bad ones (malformed ids, malformed phones, ids repeated in the file), then the
   same file again: created / unchanged / rejected, and every rejected line reported.
2. Verification: 300 members verify (a third mistype their phone once first), 50 attackers each walk member ids for
   24 hours from one openid; verified, refused, tries the limit turned away, attackers who found a member.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/members.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers/common/python"))

from scrm.domain import members as rules  # noqa: E402
from scrm.stores.members import MemoryMemberStore  # noqa: E402
from scrm.tenancy import Scope  # noqa: E402

KEY = b"bench-key-" * 4
ACCOUNT = "corp-bench"


def csv_file(rng: random.Random) -> tuple[str, dict]:
    lines, bad = ["\ufeffmember_id,phone,name,level"], {"member_id": 0, "phone": 0, "duplicate": 0}
    for i in range(1000):
        if i % 100 == 7:
            lines.append(f"VIP {i},138{i:08d},,")
            bad["member_id"] += 1
        elif i % 100 == 37:
            lines.append(f"VIP{i:05d},12{i:09d},,")
            bad["phone"] += 1
        elif i % 100 == 77:
            lines.append(f"VIP{i - 1:05d},139{i:08d},,")
            bad["duplicate"] += 1
        else:
            lines.append(f"VIP{i:05d},138{i:08d},会员{i},{rng.choice(['金卡', '银卡', ''])}")
    return "\r\n".join(lines) + "\r\n", bad


def import_once(db, text: str, now: float) -> dict:
    rows, lines = rules.read_csv(text)
    good, rejected = rules.check_rows(rows, lines)
    counts = db.upsert_members(Scope.system(ACCOUNT), ACCOUNT, [
        {"member_id": g["member_id"], "phone_hash": rules.phone_hash(KEY, g["phone"]), "name": g["name"],
         "level": g["level"]} for g in good], now)
    return {**counts, "rejected": len(rejected), "lines": sorted(r["line"] for r in rejected)}


def verify(db, openid: str, member_id: str, phone: str, now: float, figures: dict) -> str:
    scope = Scope.system(ACCOUNT)
    if db.verification(scope, ACCOUNT, "vip", openid):
        return "replayed"
    if not db.take_try(scope, ACCOUNT, openid, rules.hour_of(now), rules.TRIES_PER_HOUR):
        figures["turned_away"] += 1
        return "limited"
    m = db.get_members(scope, ACCOUNT, [member_id]).get(member_id)
    if m is None or m["phone_hash"] != rules.phone_hash(KEY, rules.normal_phone(phone) or ""):
        db.count(scope, ACCOUNT, "vip", "refused")
        return "refused"
    db.record_verified(scope, ACCOUNT, "vip", openid, member_id, now)
    return "verified"


def main() -> None:
    rng, db, now = random.Random(16), MemoryMemberStore(), 1_764_576_000.0
    text, bad = csv_file(rng)
    first, again = import_once(db, text, now), import_once(db, text, now + 60)
    print(f"import 1: created {first['created']}, rejected {first['rejected']} (planted {sum(bad.values())}: {bad})")
    print(f"import 2: created {again['created']}, updated {again['updated']}, unchanged {again['unchanged']}, "
          f"rejected {again['rejected']} (same lines: {first['lines'] == again['lines']})")
    figures = {"turned_away": 0}
    members = [f"VIP{i:05d}" for i in range(1000) if i % 100 not in (7, 37, 77)]
    for n, member_id in enumerate(rng.sample(members, 300)):
        i = int(member_id[3:])
        if n % 3 == 0:
            verify(db, f"o-member-{n}", member_id, f"139{i:08d}", now, figures)  # a typo first
        verify(db, f"o-member-{n}", member_id, f"138{i:08d}", now + 5, figures)
    found = 0
    for a in range(50):
        hit = False
        for hour in range(24):
            for k in range(40):  # 40 guesses an hour, a known member's phone pattern, random ids
                guess = f"VIP{rng.randrange(100_000):05d}"
                out = verify(db, f"o-attacker-{a}", guess, f"138{rng.randrange(10**8):08d}", now + hour * 3600 + k,
                             figures)
                hit = hit or out == "verified"
        found += hit
    f = db.figures(Scope.system(ACCOUNT), ACCOUNT, "vip")
    print(f"verified {f['verified']} (300 members), refused {f['refused']} (100 typos + 50 x 24 x 5 attacker tries "
          f"= {100 + 50 * 24 * 5}), tries turned away by the limit {figures['turned_away']}, attackers who found a "
          f"member {found} of 50")


if __name__ == "__main__":
    main()
