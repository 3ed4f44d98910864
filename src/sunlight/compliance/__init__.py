"""Camera compliance: CSV imports of CAD calls and use-of-force reports, gap reports and the
supervisors' random-review queue."""
