"""Table `oa_insight`: per OA account, WeChat's own statistics (datacube) as pulled per API per day, and the last
refusal of each API.

Items (one partition per account; layouts in scrm.stores.insight.dynamo):
- `d#<api>#<day>`: the rows WeChat answered for that API and day (`rows`, WeChat's field names; an empty list is a
  day WeChat had nothing for): its presence marks the day pulled;
- `e#<api>`: the API's last refusal (`error`: errcode, errmsg, begin_date, end_date, at); while it is younger than
  PAUSE_DAYS the API is not called again.
"""

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table


@table("oa_insight")
class OAInsightRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    api = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    rows = ListAttribute(null=True)  # d#: WeChat's rows of the day (maps)
    error = MapAttribute(null=True)  # e#: the refusal
    updated_at = NumberAttribute(null=True)
