"""`python -m continuum` runs the CLI."""

from continuum.cli import main

main()
