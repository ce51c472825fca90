"""Run one benchmark scenario in a child process, so its time and peak RSS are its own."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from typing import Any


def run_in_child(script: str, *args: str) -> dict[str, Any] | None:
    """`python SCRIPT --child ... --work TMP`; its JSON result, or None (stderr shown) if it failed.

    The child gets a fresh temporary folder for its library and dumps, removed afterwards.
    """
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run(
            [sys.executable, script, "--child", *args, "--work", work],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        print(done.stderr[-2000:], file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def peak_mib() -> float:
    """Peak RSS of this process plus that of its finished children (the read-ahead worker):
    an upper bound of what they held together."""
    who = (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    return sum(resource.getrusage(one).ru_maxrss for one in who) / 1024
