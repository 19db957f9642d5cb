"""Event worker: takes callback events off the events queue and applies them (attribution, transfers).

Reports partial batch failures so one bad event never makes Lambda redeliver the whole batch.
"""

from chalice import Blueprint

from scrm.config import settings
from scrm.queues import EVENTS

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=settings().queue_name(EVENTS), batch_size=10)
def handle_events(event):
    from scrm.services.events import process_batch

    return process_batch(event.to_dict(), event.context)
