"""Event workers: take callback events off their queue and apply them (attribution, transfers, welcomes).

WeCom events carrying a WelcomeCode (valid 20 s, usable once) arrive on their own queue, one per invocation,
so a burst of other events never queues ahead of a customer's first words. Both report partial batch
failures so one bad event never makes Lambda redeliver the whole batch.
"""

from chalice import Blueprint

from scrm.config import settings
from scrm.observability import traced
from scrm.queues import EVENTS, WELCOME

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=settings().queue_name(EVENTS), batch_size=10)
@traced
def handle_events(event):
    from scrm.services.events import process_batch

    return process_batch(event.to_dict(), event.context)


@bp.on_sqs_message(queue=settings().queue_name(WELCOME), batch_size=1)
@traced
def handle_welcome(event):
    from scrm.services.events import process_batch

    return process_batch(event.to_dict(), event.context)
