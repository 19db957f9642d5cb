"""Table `accounts`: one item per WeChat account (an Official Account or a WeCom corp).

Secrets never live here: they are in SSM Parameter Store (see scrm.accounts).
"""

from datetime import UTC, datetime

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from ..errors import NotFound
from .registry import table


@table("accounts")
class AccountRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # "oa" | "wecom"
    app_id = UnicodeAttribute()  # OA appid (wx...) or WeCom corpid
    name = UnicodeAttribute()
    original_id = UnicodeAttribute(null=True)  # OA original id gh_..., the ToUserName of callbacks
    message_mode = UnicodeAttribute(null=True)  # plaintext | compatible | safe (unset: safe); see scrm.accounts
    account_type = UnicodeAttribute(default="service")  # OA: subscription | service
    status = UnicodeAttribute(default="active")  # active | disabled
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    options = MapAttribute(default=dict)  # per-account policy overrides (quotas, strategies)


# --- repository for the admin API (tenancy checked here). scrm.accounts.register/get stay the write/read path
# for the account with its secrets; these read and change the record only.


def get_record(scope, account_id: str) -> AccountRecord:
    scope.check(account_id)
    try:
        return AccountRecord.get(account_id, consistent_read=True)
    except AccountRecord.DoesNotExist:
        raise NotFound(f"no account {account_id!r}") from None


def exists(account_id: str) -> bool:
    try:
        AccountRecord.get(account_id, attributes_to_get=["account_id"])
        return True
    except AccountRecord.DoesNotExist:
        return False


def status_of(account_id: str) -> str | None:
    """The account's status (active | disabled | registering), None when there is no such account. Used to
    authenticate admin keys, so read consistently: a disable takes effect at once."""
    try:
        return AccountRecord.get(account_id, consistent_read=True, attributes_to_get=["status"]).status
    except AccountRecord.DoesNotExist:
        return None


def query_records(scope, *, limit: int, start: dict | None = None):
    """A platform or system scope (account_id None) pages through every account; others see their own."""
    if scope.account_id is None:
        return AccountRecord.scan(limit=limit, last_evaluated_key=start)
    try:
        return [AccountRecord.get(scope.check(scope.account_id))], None
    except AccountRecord.DoesNotExist:
        return [], None


def update_record(scope, account_id: str, **changes) -> AccountRecord:
    rec = get_record(scope, account_id)
    actions = [getattr(AccountRecord, name).set(value) for name, value in changes.items()]
    actions.append(AccountRecord.updated_at.set(datetime.now(UTC)))
    rec.update(actions=actions, condition=AccountRecord.account_id.exists())
    return rec
