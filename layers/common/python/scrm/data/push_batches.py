"""Table `push_batches`: the plan of each push run, written before any send.

Items under pk `<account>#<push>#<run>`:
- sk `plan`: the run's plan header (recipient count, batch count, quota period keys, phase);
- sk `b000001`: one batch (one WeChat call or one group of per-user calls) and its state and results;
- sk `b000001#r000`: the batch's recipients, zlib-compressed newline-joined ids, at most CHUNK per item
  (a 10,000-openid batch never approaches DynamoDB's 400 KB item limit);
- sk `m#<recipient>`: a once-marker for sends without a platform dedupe key (customer-service messages).
Under pk `<account>#msg#<msg_id>`, sk `msg`: which batch a WeChat msg id belongs to (for callbacks).
"""

from datetime import timedelta

from pynamodb.attributes import BinaryAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from .registry import table

CHUNK = 2500
# Every item of a run expires 90 days after it was written (TTL `ttl`): the run has long finished by then (its
# results arrive within days: RESULT_POLL_DAYS), its figures live on in the push record (kept), and its recipient
# lists (openids) have no reason to.
KEEP = timedelta(days=90)


@table("push_batches")
class PushBatchRecord(Model):
    class Meta:
        pass

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    state = UnicodeAttribute(null=True)
    doc = UnicodeAttribute(null=True)  # JSON: the rest of the batch / plan / index fields
    recipients = BinaryAttribute(null=True, legacy_encoding=False)
    count = NumberAttribute(null=True)
    finished = UnicodeAttribute(null=True)
    ttl = TTLAttribute(null=True, default_for_new=lambda: KEEP)  # set on every item the store creates
