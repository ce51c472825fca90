"""The `papertriage` command: options in, one call into the core, rendering out.

`common` holds the app and what every command shares; each module registers its commands.
A command imports the write side of the core (`library`, ingest, dedupe, tagging, fetch) in its
own body: start-up is most of a daily command's time, and `list`, `show`, `search` and `next`
need none of it. Nor is `from __future__ import annotations` used in cli/: typer reads every
command's annotations at each start, and evaluating them from strings cost it 7 ms.
"""

from typing import Any

from .common import app

# Importing a command module registers its commands on `app`, in this order in --help.
# isort: off
from . import papers, fetch, dupes, tags, triage, safety  # noqa: F401
# isort: on

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return app(args=argv, prog_name="papertriage")
