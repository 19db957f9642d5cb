"""Staff: the figures WeCom reports per staff member and day (`figures`: the daily pull; `views`: JSON and CSV) and
loss alerts (`alerts`: a WeCom app message to the staff member or a supervisor when a customer deletes them).

The modules are imported by name, not re-exported here: the schedule, the event worker and the API each reach
only the module they run (infra/access.py grants per module reached; the pull must not be granted the API's
tables, nor the API the pull's writes)."""
