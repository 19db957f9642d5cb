"""Reply-rule figures: the worst regex match time on hostile input, the bound RE2 and the budgets give.

    PYTHONPATH=layers/common/python:. .venv/bin/python bench/replies.py [--rounds 5]

Messages: the longest text the rules see, as ASCII ('a' * 2047 + '!', 2,048 bytes: what backtracking
engines choke on), random letters, and Chinese (682 characters = 2,046 bytes, the most the regex window
holds). Each message goes through `domain.replies.choose`, the function the callback path calls.

1. Floor: Python's re on a safe pattern (`^order\\s*\\d+$`), and RE2 on the same pattern.
2. One rule per hostile pattern: the issue's four (`((a+))+$`, `(a|aa)+$`, `(a|a)+$`, `a*...b`), the longest
   pattern allowed (200 characters), and patterns chosen to defeat RE2's DFA (its cache overflows and it
   falls back to the NFA, the slow linear case) up to the per-pattern program budget. Python's re on the
   issue's patterns with short inputs, to show its growth (not run at 2,048: it would not return).
3. A whole account at its limits: 200 stored rules of copies (distinct per keyword) of the two patterns of (2)
   that cost most once the budget is filled with them; 200 x 20 of the issue's patterns (most patterns);
   200 x 20 safe patterns. `matchable` keeps what fits the account's RE2 budget, as the callback path does.
   Time to compile (load) and to answer each hostile message; peak RSS growth.
Max over rounds (worst case is the figure), median shown too. Noisy shared 2-core box: absolute ms vary.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT / "layers/common/python"), str(ROOT)):
    if p not in sys.path:
        sys.path.insert(0, p)

from scrm.domain import replies  # noqa: E402

REPLY = {"type": "text", "content": "x"}
SAFE = r"^order\s*\d+$"
ISSUE = [r"((a+))+$", r"(a|aa)+$", r"(a|a)+$", "a*" * 30 + "b"]


def messages() -> dict[str, str]:
    rnd = random.Random(7)
    return {"ascii 'a'x2047+'!'": "a" * 2047 + "!",
            "random letters 2048": "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(2048)),
            "chinese 682 chars (2046 B)": "".join(chr(rnd.randrange(0x4E00, 0x9FA5)) for _ in range(682))}


def hostile_for_re2() -> list[str]:
    """Patterns near the per-pattern budget that make RE2's DFA thrash (found by trial)."""
    return [r"(?:a|b|c|d|e|f|g|h){1,490}z", r"(?:a?){600}a{600}", r"[a-q][^u-z]{200}x", r"(\w|\W){220}!",
            r"[^!]{240}!", r".{160}x", r"(?:.*a){150}!", r"\p{L}x", r"(?:\p{Han}|[a-z]){1,20}!"]


def longest_allowed() -> str:
    return ("(?:a|aa)+" * 30)[: replies.MAX_REGEX_LEN - 1 - (replies.MAX_REGEX_LEN - 1) % 9] + "$"


def timed(rounds: int, fn, *args) -> tuple[float, float]:
    """(max, median) seconds of `fn(*args)` over rounds, after one warm-up call (compiles, caches)."""
    fn(*args)
    out = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn(*args)
        out.append(time.perf_counter() - t0)
    return max(out), statistics.median(out)


def rule(rule_id: str, *keywords: str) -> replies.Rule:
    return replies.Rule(rule_id, "regex", tuple(keywords), REPLY)


def compiles(pattern: str) -> int | None:
    try:
        return replies.compile_regex(pattern).programsize
    except replies.RegexRefused:
        return None


def full_account(name: str, rules: list[replies.Rule], msgs: dict, floor: dict, rounds: int) -> float:
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    kept, skipped = replies.matchable(rules)
    load = time.perf_counter() - t0
    program = sum(r.program_size for r in kept)
    keywords = sum(len(r.patterns) for r in kept)
    print(f"  {name}: stored {len(rules)} rules x {len(rules[0].keywords)} keywords; kept {len(kept)} rules, "
          f"{keywords} patterns, {program} instructions; {sum(1 for s in skipped if s['keyword'] is None)} "
          f"rules skipped over the budget; load+compile {load * 1e3:.1f} ms")
    worst_all = 0.0
    for msg_name, text in msgs.items():
        worst, median = timed(rounds, replies.choose, kept, text)
        worst_all = max(worst_all, worst)
        print(f"    {msg_name:28} worst {worst * 1e3:8.2f} ms  median {median * 1e3:8.2f} ms  "
              f"({worst / floor[msg_name]:7.0f}x one python-re safe search)")
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"    peak RSS growth {(rss1 - rss0) / 1024:.1f} MiB")
    return worst_all


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    msgs = messages()
    print(f"budgets: pattern <= {replies.MAX_REGEX_LEN} chars, <= {replies.MAX_REGEX_PROGRAM} RE2 instructions, "
          f"max_mem {replies.REGEX_MAX_MEM // 1024} KiB; account <= {replies.MAX_REGEX_PROGRAM_PER_ACCOUNT} "
          f"instructions; text <= {replies.MAX_REGEX_TEXT_BYTES} bytes")

    print("== 1. floor: one safe pattern", repr(SAFE))
    safe_py = re.compile(SAFE, re.IGNORECASE)
    safe_rule = rule("safe", SAFE)
    floor = {}
    for name, text in msgs.items():
        py, _ = timed(args.rounds * 20, safe_py.search, text.strip()[:replies.MAX_MATCH_TEXT])
        ours, _ = timed(args.rounds * 20, replies.choose, [safe_rule], text)
        floor[name] = py
        print(f"  {name:28} python re {py * 1e3:8.4f} ms   RE2 via choose {ours * 1e3:8.4f} ms")

    print("== 2. one rule per hostile pattern (worst over messages and rounds); ratio to the python-re floor")
    candidates = [(p, "issue") for p in ISSUE] + [(longest_allowed(), "longest allowed")] + \
                 [(p, "anti-DFA") for p in hostile_for_re2()]
    per_inst = []
    for pattern, kind in candidates:
        size = compiles(pattern)
        if size is None:
            print(f"  {kind:15} {pattern[:44]!r:48} refused: {_why(pattern)}")
            continue
        r = rule("h", pattern)
        worst, worst_name = 0.0, ""
        for name, text in msgs.items():
            t, _ = timed(args.rounds, replies.choose, [r], text)
            if t > worst:
                worst, worst_name = t, name
        per_inst.append((worst / size, pattern, size))
        print(f"  {kind:15} {pattern[:44]!r:48} {size:5} inst  worst {worst * 1e3:8.3f} ms "
              f"({worst / floor[worst_name]:7.0f}x floor) on {worst_name}")
    print("  python re on the issue's patterns, 'a' * n + '!' (grows without bound; the issue: 10.7 s at n=26):")
    for pattern in ISSUE[:3]:
        compiled = re.compile(pattern, re.IGNORECASE)
        cells = []
        for n in (14, 16, 18, 20, 22):
            t0 = time.perf_counter()
            compiled.search("a" * n + "!")
            t = time.perf_counter() - t0
            cells.append(f"n={n}: {t * 1e3:.1f} ms")
            if t > 0.3:
                break
        print(f"    {pattern!r:14} " + ", ".join(cells))

    print("== 3. an account at its limits (200 rules stored), as the callback path loads it")
    from scrm.services.replies import MAX_RULES

    budget, n_kw = replies.MAX_REGEX_PROGRAM_PER_ACCOUNT, replies.MAX_KEYWORDS
    # An attacker fills the budget with copies of the pattern whose copies cost most in total.
    per_inst.sort(key=lambda c: c[0] * c[2] * (budget // c[2]), reverse=True)
    bound = 0.0
    for _, pattern, size in per_inst[:2]:
        per_rule = max(1, min(n_kw, budget // (size + 8) // 5))  # small rules: the budget packs tightly
        rules = [rule(f"r{i:03d}", *(f"{pattern}|{i}x{k}" for k in range(per_rule))) for i in range(MAX_RULES)]
        bound = max(bound, full_account(f"copies of {pattern[:40]!r} ({size} inst)", rules, msgs, floor,
                                        args.rounds))
    bound = max(bound, full_account(
        "most patterns: the issue's four, distinct per keyword",
        [rule(f"r{i:03d}", *(f"{ISSUE[k % 4]}|{i}x{k}" for k in range(n_kw))) for i in range(MAX_RULES)],
        msgs, floor, args.rounds))
    bound = max(bound, full_account(
        "safe patterns (an ordinary account at the limit)",
        [rule(f"r{i:03d}", *(f"^order{i}x{k}\\s*\\d+$" for k in range(n_kw))) for i in range(MAX_RULES)],
        msgs, floor, args.rounds))
    print(f"BOUND: <= {bound * 1e3:.0f} ms per rule set on a 2,048-byte message (worst measured here, "
          f"2-core shared box)")


def _why(pattern: str) -> str:
    try:
        replies.compile_regex(pattern)
    except replies.RegexRefused as why:
        return str(why)[:70]
    return ""


if __name__ == "__main__":
    main()
