"""What Chalice does not create: the layer build, tables, queues, alarms, merged into `chalice package` output."""
