"""Table `console_access`: console sign-in sessions, WeCom login states and the console roles of WeCom staff.

One table, three kinds of item (pk prefix):
- `session#<sha256 of the session id>`: a signed-in browser. Only the hash is stored, so a table dump holds no
  usable session; the item expires (TTL) with the session, and reads check `expires_at` (TTL is lazy).
- `state#<sha256 of the login state>`: a WeCom QR login in progress (login CSRF), deleted when used.
- `staff#<account_id>` / `<userid>`: the console role an account admin gave a WeCom staff member.
- `failures#<sha256 of a source>` / `<window number>`: failed key sign-ins from one source IP or for one key id in
  one 5-minute window (the sign-in rate limit), expiring (TTL) after the window.
The store around it is scrm.stores.console (DynamoDB implementation: scrm.stores.console.dynamo).
"""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("console_access")
class ConsoleItem(Model):
    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # "-" for sessions and states; the userid for staff roles
    principal_kind = UnicodeAttribute(null=True)  # key | wecom_staff
    key_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    corpid = UnicodeAttribute(null=True)
    userid = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    csrf_token = UnicodeAttribute(null=True)
    created_at = NumberAttribute(null=True)  # epoch seconds
    expires_at = NumberAttribute(null=True)  # epoch seconds; checked on read
    updated_by = UnicodeAttribute(null=True)
    failures = NumberAttribute(null=True)  # failed sign-ins counted in the window (failures# items)
    ttl = TTLAttribute(null=True)  # DynamoDB removes expired sessions and states (some time after expires_at)
