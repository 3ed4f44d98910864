"""`python -m sunlight ...` is the same as the `sunlight` command."""

from sunlight.cli.main import cli

cli()
