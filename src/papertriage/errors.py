"""The project's exceptions: one-line messages that tell the user what went wrong and what to do.

The CLI prints `error: <message>` and exits 1 for any of these; anything else is a bug.
"""

from __future__ import annotations


class PapertriageError(Exception):
    """Base of every error the user is meant to see."""


class DumpError(PapertriageError):
    """A dump or response file could not be read or parsed; nothing of it is stored."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


class StoreError(PapertriageError):
    """The library database cannot be opened or used."""


class NotFoundError(PapertriageError):
    """An id or name the user gave matches nothing (or more than one thing)."""


class UsageError(PapertriageError):
    """An option value that is well-formed for the shell but wrong for papertriage."""


class TaxonomyError(PapertriageError):
    """A taxonomy file is malformed; the message names the file and the key."""


class ConfigError(PapertriageError):
    """A configuration file is malformed; the message names the file and the key."""
