"""Table `idempotency`: Powertools idempotency records (its default key and attribute names)."""

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("idempotency")
class IdempotencyRecord(Model):
    class Meta:
        pass

    id = UnicodeAttribute(hash_key=True)
    expiration = TTLAttribute(null=True)
    status = UnicodeAttribute(null=True)
    data = UnicodeAttribute(null=True)
    in_progress_expiration = NumberAttribute(null=True)
