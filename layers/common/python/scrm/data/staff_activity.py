"""Table `staff_activity`: per account, the staff figures WeCom reports per day (联系客户统计, 群聊数据统计), the days
already pulled, the loss-alert settings, each loss alert's send record and the alerts counted per day.

Items (one partition per account; layouts in scrm.stores.staff.dynamo):
- `f#<day>#<userid>`: one staff member's figures of one China day (`figures`, WeCom's field names);
- `p#<day>`: the day was pulled for every staff member (the daily pull skips it);
- `settings#alerts`: the loss-alert settings;
- `a#<sha256 of the event's dedupe key>`: one alert's send record (state, recipient, msgid; no customer id), TTL;
- `c#<day>`: alerts sent / failed / unsent that day, with the keys counted (a count is added once per alert).
"""

from pynamodb.attributes import MapAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.models import Model

from .registry import table


@table("staff_activity")
class StaffActivityRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    day = UnicodeAttribute(null=True)
    userid = UnicodeAttribute(null=True)
    figures = MapAttribute(null=True)  # f#: WeCom's figures; settings#: the settings; a#: the alert's record
    staff = NumberAttribute(null=True)  # p#: staff members pulled that day
    sent = NumberAttribute(null=True)  # c#: alerts sent that day
    failed = NumberAttribute(null=True)  # c#: alerts that failed that day
    unsent = NumberAttribute(null=True)  # c#: alerts not sent that day (no Secret for the app they go out as)
    counted = UnicodeSetAttribute(null=True)  # c#: the alert keys already counted (each counts once)
    state = UnicodeAttribute(null=True)  # a#: pending | sent | failed | skipped | unsent
    updated_at = NumberAttribute(null=True)
    expires = TTLAttribute(null=True)  # a#: a month after the alert; figures and counts never expire
