"""Data access: one module per DynamoDB table, each a PynamoDB model plus its small repository.

`registry.all_models()` is the single source of table definitions: the local stack and the tests create
tables from it, and `infra/` turns it into CloudFormation.
"""
