"""The in-memory journey store's privacy part (as dynamo_privacy.py): the person's entrants, deleted on erasure."""

from __future__ import annotations

import copy

from ...domain.persons import Person
from ...tenancy import Scope


class MemoryJourneyPrivacy:
    def person_entrants(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))
        out = []
        with self.lock:
            ids = p.openids | p.external_userids
            for key in sorted(k for k in self.entrants if k[0] == p.account_id and k[2] in ids):
                out.append(copy.deepcopy(self.entrants[key]))
                if erase:
                    del self.entrants[key]
        return out
