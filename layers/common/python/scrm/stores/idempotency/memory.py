"""The in-memory twin of Powertools' DynamoDBPersistenceLayer: the same conditions on the same records.

A record is put (the in-progress lock) only when there is none for the key, or it has expired, or it is in
progress and its invocation's lock has expired; otherwise the put fails with the record it found, as the DynamoDB
layer's conditional put with ReturnValuesOnConditionCheckFailure does, so Powertools answers a finished duplicate
with the first result and a concurrent one with IdempotencyAlreadyInProgressError. Thread-safe: one lock over the
records, so two deliveries racing in threads get one put, as two Lambdas racing on the table do.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import STATUS_CONSTANTS, BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord


class MemoryPersistenceLayer(BasePersistenceLayer):
    """Idempotency records in a dict. `clock` (epoch seconds) is what expiry is compared with; Powertools stamps
    the records with the wall clock, so a test that ages a record moves both or stamps its own."""

    def __init__(self, clock: Callable[[], float] = time.time):
        super().__init__()
        self.clock = clock
        self.records: dict[str, DataRecord] = {}
        self._lock = threading.Lock()

    def _get_record(self, idempotency_key) -> DataRecord:
        with self._lock:
            record = self.records.get(idempotency_key)
        if record is None:
            raise IdempotencyItemNotFoundError
        return copy.copy(record)

    def _free(self, record: DataRecord | None, now: float) -> bool:
        if record is None or record.expiry_timestamp < now:
            return True
        return (record.status == STATUS_CONSTANTS["INPROGRESS"] and record.in_progress_expiry_timestamp is not None
                and record.in_progress_expiry_timestamp < now * 1000)

    def _put_record(self, data_record: DataRecord) -> None:
        now = self.clock()
        with self._lock:
            found = self.records.get(data_record.idempotency_key)
            if self._free(found, now):
                self.records[data_record.idempotency_key] = copy.copy(data_record)
                return
            found = copy.copy(found)
        self._validate_payload(data_payload=data_record, stored_data_record=found)
        self._save_to_cache(data_record=found)
        raise IdempotencyItemAlreadyExistsError(old_data_record=found)

    def _update_record(self, data_record: DataRecord) -> None:
        with self._lock:
            kept = self.records.get(data_record.idempotency_key)
            # as DynamoDB's UpdateItem SET: the result, expiry and status (and payload hash) replaced, the rest kept
            self.records[data_record.idempotency_key] = DataRecord(
                idempotency_key=data_record.idempotency_key, status=data_record.status,
                expiry_timestamp=data_record.expiry_timestamp, response_data=data_record.response_data,
                in_progress_expiry_timestamp=kept.in_progress_expiry_timestamp if kept else None,
                payload_hash=(data_record.payload_hash if self.payload_validation_enabled else
                              kept.payload_hash if kept else ""))

    def _delete_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self.records.pop(data_record.idempotency_key, None)
