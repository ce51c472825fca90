"""The one clean-up every export format shares, kept apart so no format imports another.

Every format escapes its own syntax, but all of them first need dump text flattened to one clean
line.
"""

from __future__ import annotations

import re

# Control characters (terminal escapes included) never belong in an export; tabs and newlines
# become spaces, as every field of these formats is one line of prose.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if text.isprintable() else " ".join(_CONTROL.sub("", text).split())
