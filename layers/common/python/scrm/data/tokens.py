"""Table `tokens`: access tokens shared by every function, with a refresh lock.

One item per (platform, app): the token, when it stops being usable, and who holds the refresh lock.
"""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("tokens")
class TokenRecord(Model):
    class Meta:
        pass

    key = UnicodeAttribute(hash_key=True)
    access_token = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # epoch seconds after which the token must not be used
    lock_owner = UnicodeAttribute(null=True)
    lock_until = NumberAttribute(null=True)
    fetches = NumberAttribute(default=0)  # how many times this token was fetched from WeChat
    ttl = TTLAttribute(null=True)
