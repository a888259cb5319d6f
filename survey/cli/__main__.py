"""`python -m survey.cli` runs the `rapport` command."""

from survey.cli import main

main()
