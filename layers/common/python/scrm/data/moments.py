"""Table `moments`: one item per customer moment (客户朋友圈 task): content, visible range, schedule, the WeCom job and
moment ids, the lease of the scheduled run, and the figures pulled from WeCom (counts per staff member, no customer
ids). Per-customer monthly counts live in `quota_ledger` (the pushes' ledger, delivery `moment`).

The sparse `due` attribute (present while the moment still has work: creation, job result, figures) with
`next_run_at` forms the `due-index` GSI the scheduler queries. Structured fields are JSON strings.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .registry import table


class MomentDueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "due-index"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    next_run_at = NumberAttribute(range_key=True)


@table("moments")
class MomentRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    moment_id = UnicodeAttribute(range_key=True)  # ours (m...); WeCom's is wecom_moment_id
    name = UnicodeAttribute(default="")
    status = UnicodeAttribute()  # scheduled | creating | publishing | completed | failed | cancelled
    content = UnicodeAttribute()  # JSON {text, attachments}
    visible_range = UnicodeAttribute()  # JSON {senders, tag_ids}
    timezone = UnicodeAttribute()
    send_at = NumberAttribute()
    next_run_at = NumberAttribute()
    due = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    period = UnicodeAttribute(null=True)  # the month the customers' counts are reserved in (m202612)
    reserved = NumberAttribute(null=True)  # customers whose monthly count this moment took
    over_quota = NumberAttribute(null=True)  # customers of the visible range already at the monthly limit
    visible = NumberAttribute(null=True)  # customers in the visible range when the task was created
    attempts = NumberAttribute(null=True)
    first_attempt_at = NumberAttribute(null=True)
    attempt_at = NumberAttribute(null=True)
    jobid = UnicodeAttribute(null=True)
    job_polls = NumberAttribute(null=True)
    wecom_moment_id = UnicodeAttribute(null=True)
    created_at_wecom = NumberAttribute(null=True)  # when WeCom created the moment (the job settled)
    recovered = NumberAttribute(null=True)  # 1: an earlier attempt's task was found and kept, not resent
    invalid = UnicodeAttribute(null=True)  # JSON {senders, tag_ids} WeCom refused
    unreached = NumberAttribute(null=True)  # customers only invalid senders serve: their counts given back
    figures = UnicodeAttribute(null=True)  # JSON {senders, published, not_published, comments, likes, staff: [...]}
    figures_at = NumberAttribute(null=True)
    preview = UnicodeAttribute(null=True)  # JSON
    reason = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()

    due_index = MomentDueIndex()
