"""Tables of journeys (SOP): `journeys` (the definition and its status), `journey_entrants` (one item per person
in a journey: the step they are at, its lease, the outcomes so far) and `journey_figures` (counters per step).

An entrant's sparse `due` attribute with `next_run_at` forms the `due-index` GSI the minute schedule queries: present
while the person has a step left, removed when they finish or exit. Structured fields are JSON strings.
"""

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from .registry import table


@table("journeys")
class JourneyRecord(Model):
    class Meta:
        pass

    account_id = UnicodeAttribute(hash_key=True)
    journey_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    status = UnicodeAttribute()  # draft | active | paused | ended
    trigger = UnicodeAttribute()  # JSON {kind, scene? | state? | campaign_id? | chat_id?, channel_id? | tag_id?}
    steps = UnicodeAttribute()  # JSON [{type, ...}]
    goal_tag_id = UnicodeAttribute(null=True)
    goal_prize = UnicodeAttribute(null=True)  # JSON {campaign_id?}: winning a prize is the goal
    created_by = UnicodeAttribute(null=True)
    created_at = NumberAttribute()
    updated_at = NumberAttribute()


class EntrantDueIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "due-index"
        projection = AllProjection()

    due = UnicodeAttribute(hash_key=True)
    next_run_at = NumberAttribute(range_key=True)


@table("journey_entrants")
class EntrantRecord(Model):
    class Meta:
        pass

    journey_key = UnicodeAttribute(hash_key=True)  # account_id#journey_id
    person = UnicodeAttribute(range_key=True)  # openid (OA) or external_userid (WeCom)
    account_id = UnicodeAttribute()
    journey_id = UnicodeAttribute()
    staff = UnicodeAttribute(null=True)  # WeCom: the staff member the customer added (the sender)
    step = NumberAttribute()  # the step the person is at (0-based)
    state = UnicodeAttribute()  # ready | running | done | exited
    next_run_at = NumberAttribute()
    due = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    attempts = NumberAttribute(null=True)  # transient failures of the current step
    outcomes = UnicodeAttribute(null=True)  # JSON [{step, outcome, reason?, at}]
    exit_reason = UnicodeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)  # the transient error the current step is retried after
    entered_at = NumberAttribute()
    updated_at = NumberAttribute()

    due_index = EntrantDueIndex()


@table("journey_figures")
class JourneyFigureRecord(Model):
    class Meta:
        pass

    journey_key = UnicodeAttribute(hash_key=True)  # account_id#journey_id
    step = NumberAttribute(range_key=True)
    entered = NumberAttribute(default=0)
    done = NumberAttribute(default=0)
    sent = NumberAttribute(default=0)
    skipped_quota = NumberAttribute(default=0)
    refused = NumberAttribute(default=0)
    unknown = NumberAttribute(default=0)
    exited = NumberAttribute(default=0)
    finished = NumberAttribute(default=0)  # people whose journey ended with this step
