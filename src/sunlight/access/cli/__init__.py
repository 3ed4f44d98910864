"""`sunlight users`, `sunlight agencies` and `sunlight tokens`: one module per command
group, with what they share in ``common``."""
