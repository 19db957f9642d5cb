"""What happened after a push was sent: WeChat's result callbacks (mass send and template send jobs finished),
WeCom group-message outcomes polled for up to three days, run summaries kept current, and the interactions
that open a customer-service allowance (domain.service_window).

A callback is applied once: a mass-send result only to a batch not yet `finished` (the first delivery wins),
a template result once per message id (the store's once-mark), whatever WeChat redelivers."""

from __future__ import annotations

from ...domain import pushes as rules
from .deps import PushDeps
from .senders import tell_segments

RESULT_POLL_SECONDS = 600
RESULT_POLL_DAYS = 3


def _int(v) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def _pages(call, fn, *args, rows: str) -> list:
    """Every row of a cursor-paged WeCom list (next_cursor until empty)."""
    out, cursor = [], ""
    while True:
        page = call(fn, *args, cursor)
        out += page.get(rows) or []
        cursor = page.get("next_cursor") or ""
        if not cursor:
            return out


class Results:
    def __init__(self, deps: PushDeps):
        self.deps = deps

    @property
    def store(self):
        return self.deps.store

    # ---- WeCom group messages: staff confirm them in their client, later; outcomes are polled
    def poll_wecom_results(self, account_id: str, push_id: str) -> dict:
        """Per-customer outcomes of WeCom group messages (staff confirm them in their client, later)."""
        push = self.store.get_push(account_id, push_id)
        if push is None:
            return {}
        gw = self.deps.gateway_for(self.deps.account_for(account_id))
        still = []
        for run_no in push.get("poll_runs") or []:
            open_batches = self._poll_run(gw, account_id, push_id, run_no)
            age = self.deps.clock() - next((r.get("finished_at", 0) for r in push.get("runs") or []
                                            if r.get("run_no") == run_no), self.deps.clock())
            if open_batches and age < RESULT_POLL_DAYS * 86400:
                still.append(run_no)
            self.refresh_run_summary(account_id, push_id, run_no)
        self.store.update_push(account_id, push_id, {
            "poll_runs": still or None, "poll": "1" if still else None,
            "poll_at": self.deps.clock() + RESULT_POLL_SECONDS if still else None})
        return {"runs_open": still}

    def _poll_run(self, gw, account_id: str, push_id: str, run_no: int) -> int:
        """Refresh the figures of the run's unfinished group messages; how many are still open."""
        open_batches = 0
        groups = (self.store.get_plan(account_id, push_id, run_no) or {}).get("strategy") == "groups"
        for b in self.store.list_batches(account_id, push_id, run_no):
            if not b.get("msg_id") or b.get("results_final"):
                continue
            figures = self._groupmsg_figures(gw, b["msg_id"], b["sender"])
            if groups:
                figures = _group_figures(figures, int(b.get("eligible") or 0))
            final, reached = figures.pop("_final"), figures.pop("_reached")
            if reached and not groups:
                tell_segments({"account_id": account_id, "push_id": push_id, "run_no": run_no}, "wecom", reached,
                              self.deps.clock())
            self.store.update_batch(account_id, push_id, run_no, b["no"], {**figures,
                                    "results_final": final or None})
            open_batches += 0 if final else 1
        return open_batches

    def _groupmsg_figures(self, gw, msgid: str, sender: str) -> dict:
        """get_groupmsg_task (has the owner / staff member sent it?) and get_groupmsg_send_result (per customer or
        group: status 0 未发送, 1 已发送, 2 不是好友, 3 已收到其他群发), both cursor-paged:
        https://developer.work.weixin.qq.com/document/path/93338"""
        tasks = _pages(self.deps.call, gw.groupmsg_task, msgid, rows="task_list")
        done = any(t.get("userid") == sender and t.get("status") == 2 for t in tasks)
        counts, reached = {0: 0, 1: 0, 2: 0, 3: 0}, []
        for row in _pages(self.deps.call, gw.groupmsg_send_result, msgid, sender, rows="send_list"):
            counts[int(row.get("status", 0))] = counts.get(int(row.get("status", 0)), 0) + 1
            if int(row.get("status", 0)) == 1 and row.get("external_userid"):
                reached.append(row["external_userid"])
        return {"delivered": counts[1], "not_friend": counts[2], "over_quota_platform": counts[3],
                "pending_results": counts[0], "staff_confirmed": done, "_final": done, "_reached": reached}

    def refresh_run_summary(self, account_id: str, push_id: str, run_no: int) -> None:
        push = self.store.get_push(account_id, push_id)
        if push is None:
            return
        batches = self.store.list_batches(account_id, push_id, run_no)
        runs = [({**r, **rules.summarise(batches)} if r.get("run_no") == run_no else r) for r in push.get("runs") or []]
        self.store.update_push(account_id, push_id, {"runs": runs})

    # ---- callbacks
    def on_mass_finish(self, account_id: str, event: dict) -> dict:
        msg_id = event.get("MsgID") or event.get("MsgId") or event.get("msg_id")
        ref = self.store.get_msg_index(account_id, str(msg_id)) if msg_id is not None else None
        if ref is None:
            return {"ignored": "not one of our pushes"}  # sent from the WeChat console, or another system
        changes = {"platform_status": event.get("Status"), "platform_total": _int(event.get("TotalCount")),
                   "platform_to_send": _int(event.get("FilterCount")), "delivered": _int(event.get("SentCount")),
                   "errors": _int(event.get("ErrorCount")), "finished": "1"}
        ok = self.store.update_batch(account_id, ref["push_id"], ref["run_no"], ref["no"], changes,
                                     expect_unfinished=True)
        if ok:
            self.refresh_run_summary(account_id, ref["push_id"], ref["run_no"])
        return {"applied": ok, **ref}

    def on_template_finish(self, account_id: str, event: dict) -> dict:
        msg_id = event.get("MsgID") or event.get("MsgId")
        ref = self.store.get_msg_index(account_id, str(msg_id)) if msg_id is not None else None
        if ref is None:
            return {"ignored": "not one of our pushes"}
        status = str(event.get("Status") or "")
        counters = {"delivered": 1} if status == "success" else {"errors": 1}
        ok = self.store.add_to_batch(account_id, ref["push_id"], ref["run_no"], ref["no"], counters,
                                     once_key=(account_id, str(msg_id)))
        return {"applied": ok, **ref}

    def on_interaction(self, account_id: str, kind: str, event: dict) -> None:
        openid = event.get("FromUserName")
        at = event.get("received_at") or event.get("CreateTime")
        if openid and at:
            self.store.touch(account_id, openid, float(at), kind)


def _group_figures(figures: dict, eligible: int) -> dict:
    """A customer-group task's figures: for chat_type group, get_groupmsg_send_result lists only the groups it was
    sent to (status 1), so the rest are pending until the owner sends the task, and not sent after (the owner left
    them out, or WeCom refused them: another group message today)."""
    delivered = figures["delivered"]
    rest = max(0, eligible - delivered)
    done = figures["_final"]
    return {**figures, "pending_results": 0 if done else rest, "groups_not_sent": rest if done else 0}
