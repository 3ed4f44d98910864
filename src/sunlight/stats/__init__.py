"""Public statistics: figures computed from the records as of ``now`` over a date range,
with the small-number rule of the stats policy applied before anything is shown."""
