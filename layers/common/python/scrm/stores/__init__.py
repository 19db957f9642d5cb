"""One store per capability: an interface (`base.py`), an in-memory twin (`memory.py`) and the DynamoDB
implementation (`dynamo.py`); scrm.bootstrap wires the real one, tests pass the twin."""
