"""Named points where a crash test stops a real process, to kill it exactly there.

With `PAPERTRIAGE_PAUSE_AT=NAME` (or `NAME:N`, the Nth time it is reached) a process says
`paused at NAME` on stderr when it reaches that point and waits there to be killed. Tests kill
at an observed moment this way instead of after a guessed delay.
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_AT = "PAPERTRIAGE_PAUSE_AT"
_reached: dict[str, int] = {}


def pause_point(name: str) -> None:
    """Wait here forever if PAPERTRIAGE_PAUSE_AT names this point (and this is its turn)."""
    wanted = os.environ.get(PAUSE_AT)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] != int(nth or 1):
        return
    sys.stderr.write(f"paused at {wanted}\n")
    sys.stderr.flush()
    while True:
        time.sleep(60)
