"""Table `accounts`: one item per WeChat account (an Official Account or a WeCom corp).

Secrets never live here: they are in SSM Parameter Store (see scrm.accounts). Read and written through
the account store (scrm.stores.accounts).
"""

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

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


# The repository (tenancy, conditions) is the account store: scrm.stores.accounts.dynamo.
