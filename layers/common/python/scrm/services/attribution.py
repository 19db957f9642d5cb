"""Attribution: its home is scrm.services.channels.attribution; this name is the same module object (so the
event worker's handler list, functions/ and tests that patch its clock all reach the one module)."""

import sys

from .channels import attribution as _module

sys.modules[__name__] = _module
