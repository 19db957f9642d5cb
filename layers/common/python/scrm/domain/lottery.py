"""End-of-campaign lottery (pure): a committed seed and a deterministic draw anyone can re-run.

Protocol
1. When the lottery is configured, a random 32-byte seed is generated and kept secret (SSM);
   only `commitment = sha256(seed_hex)` is published, before the campaign ends.
2. At the end, the eligible participants (OA openids) are put in canonical order: unique, sorted by
   their UTF-8 bytes. `participants_digest` = sha256 of those ids joined by "\\n" is published with them.
3. Every participant gets `score = HMAC-SHA256(key=seed bytes, msg=openid UTF-8)`; winners are the N
   lowest (score, openid). Nobody can be picked twice, every participant has the same chance, and the
   result depends only on (seed, participant list, N).
4. The seed is revealed with the result; `verify()` recomputes both the commitment and the winners.

Anyone can check with nothing but Python's standard library:
    python -m scrm.domain.lottery <seed_hex> <winners> < participants.txt
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALGORITHM = "lottery-v1: winners = N lowest HMAC-SHA256(seed, openid) over unique sorted openids"


def new_seed() -> str:
    return secrets.token_hex(32)


def commitment(seed_hex: str) -> str:
    return hashlib.sha256(seed_hex.encode()).hexdigest()


def canonical(participants) -> list[str]:
    return sorted(set(participants), key=lambda p: p.encode())


def participants_digest(participants) -> str:
    return hashlib.sha256("\n".join(canonical(participants)).encode()).hexdigest()


def score(seed_hex: str, participant: str) -> str:
    return hmac.new(bytes.fromhex(seed_hex), participant.encode(), hashlib.sha256).hexdigest()


def select_winners(seed_hex: str, participants, winners: int) -> list[str]:
    """The N winners in rank order (fewer if there are fewer participants). Deterministic."""
    if winners < 0:
        raise ValueError("winners must be >= 0")
    ranked = sorted(canonical(participants), key=lambda p: (score(seed_hex, p), p.encode()))
    return ranked[:winners]


def verify(seed_hex: str, published_commitment: str, participants, winners: int, claimed: list[str]) -> bool:
    return (hmac.compare_digest(commitment(seed_hex), published_commitment)
            and select_winners(seed_hex, participants, winners) == list(claimed))


def main(argv=None) -> None:  # pragma: no cover - a convenience for auditors
    import sys

    args = argv if argv is not None else sys.argv[1:]
    seed, n = args[0], int(args[1])
    people = [line.strip() for line in sys.stdin if line.strip()]
    print("commitment", commitment(seed))
    print("participants_digest", participants_digest(people))
    for rank, who in enumerate(select_winners(seed, people, n), 1):
        print(rank, who)


if __name__ == "__main__":  # pragma: no cover
    main()
