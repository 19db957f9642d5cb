"""One store per capability: the interface (`base.py`), an in-memory twin and a DynamoDB implementation."""
