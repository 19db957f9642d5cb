"""One transfer call's worth (a batch: <= 100 targets, one takeover): claim, reconcile if resumed, call, store.

The order is the crash safety: the claim (pending -> sending, leased) is stored BEFORE the call, the per-target
results AFTER it, and the batch is marked sent last. A batch found `sending` with its lease run out may or may not
have reached WeCom: it is reconciled (transfer_result / groupchat/get) before anything is sent again.
"""

from __future__ import annotations

from collections import defaultdict

from ...domain import reassignment as rules
from ...errors import WeChatError, WeChatUnavailable
from ...stores.reassignment import item_key
from .. import reassignment as package
from . import ledger
from .policy import plan_policy
from .run import Run, record

LEASE_SECONDS = 120
RETRY_LATER = ("wechat_busy", "wechat_rate_limited", "wechat_token_invalid")
TAKEOVER_GONE = (60111, 60011, 40098)  # the takeover left, does not exist, or has not verified their name


class _CallAgain(Exception):
    """The outcome is unknown or WeCom is busy: leave the batch `sending`, its lease ended, for a later pass."""


def send_batch(run: Run, batch: dict, items: dict) -> str:
    """Claim, reconcile if resumed, call, store results, mark sent. Returns 'sent' | 'skipped' | 'retry'."""
    now = package._now()
    resumed = batch["state"] == rules.B_SENDING
    if not run.store.claim_batch(run.account_id, run.plan_id, batch["batch_id"], run.owner, now,
                                 now + LEASE_SECONDS):
        return "skipped"
    todo = _unsent(batch, items)
    changed = []
    try:
        if resumed and todo:
            todo, changed = _reconcile(run, batch, todo, now)
        if todo:
            changed += _call(run, batch, todo, now)
    except _CallAgain as exc:
        run.store.release_batch(run.account_id, run.plan_id, batch["batch_id"], str(exc))
        return "retry"
    _store_results(run, batch, changed, now)
    return "sent"


def _unsent(batch: dict, items: dict) -> list[dict]:
    """The batch's items not sent yet (a re-offered item belongs to its newer batch)."""
    keys = [item_key(batch["kind"], t) for t in batch["targets"]]
    return [items[k] for k in keys if k in items and items[k]["state"] == rules.PLANNED
            and items[k]["batch_id"] == batch["batch_id"]]


# ---- a resumed batch: what does WeCom already have?

def _reconcile(run: Run, batch: dict, todo: list[dict], now: float) -> tuple[list[dict], list[dict]]:
    """(items WeCom does not have: to send, items it has: recorded from its answer)."""
    run.stats["reconciled_batches"] += 1
    known = _known_transfers(run, batch)
    still, changed = [], []
    for it in todo:
        outcome = _known_outcome(run, batch, it, known)
        if outcome is None:
            still.append(it)
            continue
        it["submitted_at"] = it.get("submitted_at") or int(now)
        record(it, outcome, batch["takeover_userid"], now, "reconcile")
        changed.append(it)
    run.results_cache.pop(batch["takeover_userid"], None)
    return still, changed


def _known_transfers(run: Run, batch: dict) -> dict:
    if batch["kind"] != "customer":
        return {}
    try:
        return run.results_for(batch["takeover_userid"], refresh=True)
    except (WeChatError, WeChatUnavailable) as exc:
        raise _CallAgain(f"reconcile: {exc}") from None


def _known_outcome(run: Run, batch: dict, it: dict, known: dict) -> rules.Outcome | None:
    try:
        if batch["kind"] == "customer":
            row = known.get(it["target_id"])
            return rules.result_outcome(row["status"]) if row else None
        owner = run.gw.group_chat(it["target_id"]).get("group_chat", {}).get("owner")
        return rules.Outcome(rules.DONE) if owner == batch["takeover_userid"] else None
    except (WeChatError, WeChatUnavailable) as exc:
        raise _CallAgain(f"reconcile: {exc}") from None


# ---- the call

def _call(run: Run, batch: dict, todo: list[dict], now: float) -> list[dict]:
    """Make the transfer call and apply WeCom's per-target answer; the items it changed."""
    package.crash_hook("before_call", batch=batch["batch_id"])
    run.stats["transfer_calls"] += 1
    try:
        answer = _transfer(run, batch, [it["target_id"] for it in todo])
    except WeChatError as exc:
        if exc.code in RETRY_LATER:
            raise _CallAgain(str(exc)) from None
        _refused_whole_call(batch, todo, exc, now)
        answer = None
    except WeChatUnavailable as exc:
        raise _CallAgain(str(exc)) from None
    package.crash_hook("after_call", batch=batch["batch_id"])
    if answer is not None:
        if batch["kind"] == "customer":
            _apply_customer_answer(batch, todo, answer, now)
        else:
            _apply_chat_answer(batch, todo, answer, now)
    return todo


def _transfer(run: Run, batch: dict, ids: list[str]) -> dict:
    if batch["kind"] == "customer":
        msg = plan_policy(run.plan).get("transfer_success_msg") if not run.resigned else None
        return run.gw.transfer_customers(run.plan["handover_userid"], batch["takeover_userid"], ids,
                                         resigned=run.resigned, transfer_success_msg=msg)
    return run.gw.transfer_group_chats(ids, batch["takeover_userid"], resigned=run.resigned)


def _refused_whole_call(batch: dict, todo: list[dict], exc: WeChatError, now: float) -> None:
    """The whole call was refused (40097 not resigned, 60111 takeover gone, bad parameter...)."""
    reason = rules.CUSTOMER_ERRORS.get(exc.errcode, exc.errmsg or str(exc))
    for it in todo:
        record(it, rules.Outcome(rules.FAILED, exc.errcode, f"{reason} (whole call)"), batch["takeover_userid"],
               now, "call")
        if exc.errcode in TAKEOVER_GONE:
            it["reason"] = f"takeover unavailable: {reason}"  # re-offered to the next takeover


def _apply_customer_answer(batch: dict, todo: list[dict], answer: dict, now: float) -> None:
    codes = {row["external_userid"]: int(row.get("errcode", 0)) for row in answer.get("customer") or []}
    for it in todo:
        code = codes.get(it["target_id"])
        outcome = (rules.submit_outcome(code) if code is not None else
                   rules.Outcome(rules.FAILED, -2, "no result for this customer in WeCom's answer"))
        if outcome.state == rules.WAITING:
            it["submitted_at"] = int(now)
        record(it, outcome, batch["takeover_userid"], now, "call")


def _apply_chat_answer(batch: dict, todo: list[dict], answer: dict, now: float) -> None:
    failed = {row["chat_id"]: row for row in answer.get("failed_chat_list") or []}
    for it in todo:
        row = failed.get(it["target_id"])
        outcome = rules.chat_outcome(int(row["errcode"]), row.get("errmsg", "")) if row else rules.Outcome(rules.DONE)
        it["submitted_at"] = int(now)
        record(it, outcome, batch["takeover_userid"], now, "call")


# ---- after the call

def _store_results(run: Run, batch: dict, changed: list[dict], now: float) -> None:
    """Per-target results first, then the ledger, then the batch marked sent (a crash in between resends
    nothing: the items are no longer `planned`)."""
    run.store.save_items(run.account_id, changed)
    for it in changed:
        if it["state"] in (rules.WAITING, rules.DONE):
            ledger.write(run.plan, it, now)
    package.crash_hook("after_store", batch=batch["batch_id"])
    summary = defaultdict(int)
    for it in changed:
        summary[it["state"]] += 1
    run.store.finish_batch(run.account_id, run.plan_id, batch["batch_id"], run.owner, dict(summary), package._now())
