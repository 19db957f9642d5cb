"""OA insight: WeChat's own statistics of an Official Account (datacube), pulled daily and stored per API per day
(`pull`: the schedule; `views`: the admin API's JSON and CSV).

The modules are imported by name, not re-exported here: the schedule and the API each reach only the module they
run (infra/access.py grants per module reached)."""
