"""`python -m papertriage` runs the command line."""

from papertriage.cli import main

main()
