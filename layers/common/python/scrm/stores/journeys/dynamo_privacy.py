"""The journey store's privacy part on DynamoDB: a person's place in each journey of the account (by openid or
external_userid), exported as stored and, erasing, deleted (the per-step figures stay as counts). Tenancy: the
caller's scope is checked (Forbidden for another account)."""

from __future__ import annotations

from ...data.journeys import EntrantRecord, JourneyRecord
from ...domain.persons import Person, found
from ...tenancy import Scope
from ..personal_dynamo import dump
from .memory import journey_key


class DynamoJourneyPrivacy:
    def person_entrants(self, scope: Scope, p: Person, erase: bool) -> list[dict]:
        self._c(scope.check(p.account_id))

        def get(journey_id: str, person: str):
            try:
                return EntrantRecord.get(journey_key(p.account_id, journey_id), person, consistent_read=True)
            except EntrantRecord.DoesNotExist:
                return None

        records = (get(j.journey_id, v) for j in JourneyRecord.query(p.account_id)
                   for v in sorted(p.openids | p.external_userids))
        return found(records, lambda r: r is not None, dump, lambda r: r.delete(), erase)
