"""Table `pushes`: one item per content push (planned content, audience, schedule, run state, lease).

The sparse `due` attribute (present while a push is scheduled or running) with `next_run_at` forms the
`due-index` GSI the scheduler queries; `poll`/`poll_at` form `poll-index` for WeCom result polling.
Structured fields (content, audience, recurrence, preview, runs) are JSON strings.
"""

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .registry import table


class DueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "due-index"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    next_run_at = NumberAttribute(range_key=True)


class PollIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "poll-index"
        projection = AllProjection()

    poll = UnicodeAttribute(hash_key=True)
    poll_at = NumberAttribute(range_key=True)


@table("pushes")
class PushRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    push_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute(default="")
    platform = UnicodeAttribute()  # oa | wecom
    delivery = UnicodeAttribute()  # mass | template | custom | groupmsg
    status = UnicodeAttribute()  # draft | scheduled | running | completed | failed | cancelled
    content = UnicodeAttribute()  # JSON
    audience = UnicodeAttribute()  # JSON
    recurrence = UnicodeAttribute(null=True)  # JSON
    timezone = UnicodeAttribute()
    send_at = NumberAttribute()  # first occurrence, epoch seconds
    run_no = NumberAttribute(default=1)
    run_phase = UnicodeAttribute(null=True)  # planning | sending | done
    next_run_at = NumberAttribute()
    due = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    poll = UnicodeAttribute(null=True)
    poll_at = NumberAttribute(null=True)
    poll_runs = UnicodeAttribute(null=True)  # JSON list of run numbers awaiting WeCom results
    cancel_requested = BooleanAttribute(null=True)
    preview = UnicodeAttribute(null=True)  # JSON
    runs = UnicodeAttribute(null=True)  # JSON list of run summaries
    last_error = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()

    due_index = DueIndex()
    poll_index = PollIndex()
