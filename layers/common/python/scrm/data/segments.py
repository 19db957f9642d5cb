"""Table `segments`: saved audiences (an audience definition or an explicit list) a push can target."""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("segments")
class SegmentRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    segment_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    audience = UnicodeAttribute()  # JSON audience (any type but segment)
    created_at = NumberAttribute()
