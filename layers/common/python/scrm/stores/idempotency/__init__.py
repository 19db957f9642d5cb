"""The idempotency records `scrm.idempotency.once` keeps: Powertools' `BasePersistenceLayer` is the interface,
its DynamoDBPersistenceLayer the implementation Lambda uses (the `idempotency_persistence` slot of
scrm.bootstrap), and `MemoryPersistenceLayer` (memory.py, importing Powertools) the in-memory twin unit tests pass
as `bootstrap.reset(idempotency_persistence=MemoryPersistenceLayer())`. Both pass tests/contract/
test_idempotency_layer.py."""
