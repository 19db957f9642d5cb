"""Attribution: its home is scrm.services.channels.attribution; this name is the same module object (so the
event worker's handler list, functions/ and tests that patch its clock all reach the one module)."""

import sys

from .channels import attribution as _module
from .channels.attribution import flush_taggings, on_oa_event, on_wecom_event

# What the event worker and the tagging schedule run through this name (infra/access.py follows these).
ENTRY_POINTS = (on_oa_event, on_wecom_event, flush_taggings)

sys.modules[__name__] = _module
