"""Customer groups over moto and the sandbox: membership events applied once under 4x redelivery through the event
worker's idempotency, a group code (wecom_group channel) rotating to the next groups as they reach the cap with
update_join_way called once per change, also when workers race, joins attributed to the channel's statistics."""

from __future__ import annotations

import threading

import pytest

from local.sandbox import SandboxClient
from scrm import bootstrap
from scrm.domain import callbacks as rules
from scrm.services import events
from scrm.services.channels import create_channel, get_channel
from scrm.services.channels.stats import report
from scrm.services.groups import admin, codes
from scrm.tenancy import Scope

NOW = 1_764_576_000.0


def deliver(account, out: dict, times: int = 1) -> list:
    """The callback the sandbox would have sent, queued as the callback path does and applied `times` times."""
    event = rules.parse(out["xml"])
    payload = {"account_id": account.account_id, "platform": "wecom", "kind": rules.kind_of("wecom", event),
               "dedupe_key": rules.dedupe_key("wecom", event), "event": event}
    return [events.apply(payload) for _ in range(times)]


@pytest.fixture
def corp(wecom_account, sandbox):
    sb = SandboxClient(sandbox.url)
    now = sb.now()
    bootstrap.reset(clock=lambda: now)
    chats = sb.wecom_groupchats(wecom_account.app_id, "zhangsan", count=8)["chat_ids"]
    return wecom_account, sb, chats


def test_membership_events_apply_once_under_4x_redelivery(corp):
    account, sb, chats = corp
    scope = Scope.system(account.account_id)
    sb.wecom_event(account.app_id, "change_external_chat", change_type="create", chat_id=chats[0])
    for i in range(5):
        out = sb.wecom_event(account.app_id, "change_external_chat", change_type="update", chat_id=chats[0],
                             update_detail="add_member", members=[f"wm{i:04d}"], create_time=int(sb.now()) + i)
        deliver(account, out, times=4)
    group = admin.get_group(scope, account.account_id, chats[0])
    assert group["size"] == 6  # the owner and 5 customers, each once
    members, _ = admin.members_page(scope, account.account_id, chats[0], limit=50)
    assert len(members) == 6 and all(m["in_group"] for m in members)
    days = admin.sizes(scope, account.account_id, chats[0], {}, sb.now() + 60)["days"]
    assert days[-1]["size"] == 6 and sum(d["joins"] for d in days) == 6


def test_a_group_code_rotates_once_per_change_and_counts_joins(corp):
    account, sb, chats = corp
    scope = Scope.system(account.account_id)
    channel = create_channel(scope, account.account_id, {"kind": "wecom_group", "name": "VIP 群码",
                                                         "chat_ids": chats, "group_cap": 3})
    assert channel["in_code"] == chats[:5] and channel["config_id"]
    sb.clear_calls()
    # the owner is in each group: 2 customers bring a group to the cap of 3
    for i in range(6):
        out = sb.wecom_group_action(account.app_id, "scan", config_id=channel["config_id"],
                                    external_userid=f"wmc{i:04d}")
        deliver(account, out, times=4)
    after = get_channel(scope, account.account_id, channel["channel_id"])
    assert after["in_code"] == chats[3:8]
    assert sb.call_counts("update_join_way").get("wecom:externalcontact/groupchat/update_join_way", 0) == 3
    stats = report(scope, account.account_id, {"channel_id": channel["channel_id"]}, sb.now())
    [row] = stats["channels"]
    assert row["group_joins"] == 6 and row["joins"] == 6
    # a dismissed group of the code is dropped from it
    out = sb.wecom_group_action(account.app_id, "dismiss", chat_id=chats[3])
    deliver(account, out)
    assert chats[3] not in get_channel(scope, account.account_id, channel["channel_id"])["in_code"]


def test_concurrent_rotations_call_update_join_way_once(corp, monkeypatch):
    from scrm.services.groups import membership

    account, sb, chats = corp
    scope = Scope.system(account.account_id)
    channel = create_channel(scope, account.account_id, {"kind": "wecom_group", "name": "码", "chat_ids": chats,
                                                         "group_cap": 2})
    monkeypatch.setattr(membership, "after_change", [])  # the join is recorded, the rotation is left to the race
    out = sb.wecom_group_action(account.app_id, "scan", config_id=channel["config_id"], external_userid="wmx")
    deliver(account, out)  # chats[0] is at the cap of 2
    sb.clear_calls()
    results = []
    threads = [threading.Thread(target=lambda: results.append(codes.rotate(account.account_id,
                                                                            channel["channel_id"], NOW)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1  # one claim wins; the others find the set changed
    assert sb.call_counts("update_join_way").get("wecom:externalcontact/groupchat/update_join_way", 0) == 1
    assert get_channel(scope, account.account_id, channel["channel_id"])["in_code"] == chats[1:6]


def test_a_group_dismissed_mid_rotation_is_skipped_once_its_dismiss_arrives_and_nothing_is_half_done(corp):
    """WeCom dismissed a pool group whose callback has not arrived yet; the rotation that would show it is refused
    (40050): the code keeps its groups, the join stays counted once, and the dismiss, when it lands, rotates past it."""
    from scrm.errors import WeChatError

    account, sb, chats = corp
    scope = Scope.system(account.account_id)
    channel = create_channel(scope, account.account_id, {"kind": "wecom_group", "name": "轮换中解散", "chat_ids": chats,
                                                         "group_cap": 3})
    dismissed = sb.wecom_group_action(account.app_id, "dismiss", chat_id=chats[1])  # its callback is in flight
    first = sb.wecom_group_action(account.app_id, "scan", config_id=channel["config_id"], external_userid="wmd1")
    deliver(account, first)
    second = sb.wecom_group_action(account.app_id, "scan", config_id=channel["config_id"], external_userid="wmd2")
    sb.clear_calls()
    with pytest.raises(WeChatError) as err:  # chats[0] is at the cap: the code would move to chats[1..5]
        deliver(account, second)
    assert err.value.errcode == 40050
    assert get_channel(scope, account.account_id, channel["channel_id"])["in_code"] == chats[:5]  # claim given back
    with pytest.raises(WeChatError):
        deliver(account, second)  # redelivered before the dismiss: refused again, the join not counted again
    deliver(account, dismissed)
    assert get_channel(scope, account.account_id, channel["channel_id"])["in_code"] == chats[2:7]
    deliver(account, second)  # redelivered after it: nothing left to do
    assert admin.get_group(scope, account.account_id, chats[0])["size"] == 3
    assert admin.get_group(scope, account.account_id, chats[1])["status"] == "dismissed"
    updates = [c for c in sb.calls(path_contains="update_join_way") if c["errcode"] == 0]
    assert len(updates) == 1 and updates[0]["body"]["chat_id_list"] == chats[2:7]


def test_a_crash_between_the_membership_commit_and_the_rotation_rotates_on_redelivery(corp, monkeypatch):
    """The worker dies after the join that fills a group is committed, before the code rotates; the redelivery finds
    the event applied and still rotates (the hooks are idempotent), once."""
    account, sb, chats = corp
    scope = Scope.system(account.account_id)
    channel = create_channel(scope, account.account_id, {"kind": "wecom_group", "name": "崩溃后轮换", "chat_ids": chats,
                                                         "group_cap": 2})
    store = bootstrap.group_store()
    commit, crashes = store.commit_change, []

    def commit_then_die(*args, **kwargs):
        done = commit(*args, **kwargs)
        if done and not crashes:
            crashes.append(1)
            raise RuntimeError("the function died after the membership commit")
        return done

    monkeypatch.setattr(store, "commit_change", commit_then_die)
    out = sb.wecom_group_action(account.app_id, "scan", config_id=channel["config_id"], external_userid="wmr1")
    sb.clear_calls()
    with pytest.raises(RuntimeError):
        deliver(account, out)  # chats[0] reached the cap of 2, the rotation never ran
    assert get_channel(scope, account.account_id, channel["channel_id"])["in_code"] == chats[:5]
    deliver(account, out, times=3)
    assert get_channel(scope, account.account_id, channel["channel_id"])["in_code"] == chats[1:6]
    assert admin.get_group(scope, account.account_id, chats[0])["size"] == 2
    assert sb.call_counts("update_join_way").get("wecom:externalcontact/groupchat/update_join_way", 0) == 1
