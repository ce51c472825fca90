"""`next` as a person uses it: in an 80x24 terminal (a real pseudo-terminal), one paper per
screen; and `u` takes back this session's decisions only."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from .conftest import DUMPS, Cli

CLEAR = "\x1b[2J"
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


@pytest.fixture(autouse=True)
def library_with_seeds(cli: Cli) -> None:
    assert cli("ingest", str(DUMPS), "--year", "2025").exit_code == 0


class Terminal:
    """`papertriage next` in an 80x24 pseudo-terminal, driven key by key."""

    def __init__(self, library: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
        env |= {"PAPERTRIAGE_DB": str(library), "NO_COLOR": "1", "TERM": "xterm"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "papertriage", "next"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.output = ""

    def screen(self) -> str:
        """Output up to the keys line of the next screen, escapes dropped."""
        deadline = time.monotonic() + 30
        start = len(self.output)
        while "q quit" not in self.output[start:] and time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if ready:
                self.output += os.read(self.master, 65536).decode("utf-8", "replace")
        raw = self.output[start:]
        assert "q quit" in raw, raw
        return raw

    def press(self, key: str) -> str:
        self.type(key)
        return self.screen()

    def type(self, key: str) -> None:
        """A key, once the command reads keys one by one (before that, the terminal would hold
        it for a whole line)."""
        deadline = time.monotonic() + 30
        while termios.tcgetattr(self.master)[3] & termios.ICANON:
            assert time.monotonic() < deadline, "next never read single keys"
            time.sleep(0.02)
        os.write(self.master, key.encode())

    def close(self) -> None:
        self.type("q")
        self.process.wait(timeout=30)
        os.close(self.master)


def _text(raw: str) -> str:
    return _ESCAPES.sub("", raw.split(CLEAR)[-1])


def test_next_draws_one_paper_per_screen_that_fits_80x24(cli: Cli, library: Path) -> None:
    first = json.loads(cli("list", "--sort", "best", "--limit", "1", "-f", "json").stdout)[0]
    terminal = Terminal(library)
    try:
        raw = terminal.screen()
        assert CLEAR in raw
        screen = _text(raw).strip("\n").splitlines()
        assert len(screen) <= 24
        assert first["id"][:8] in screen[0]
        assert first["title"].split()[0] in "\n".join(screen[:3])
        assert "a: the whole abstract" in "\n".join(screen)
        # An unknown key redraws the screen with a message, not a line below the last.
        unknown = terminal.press("x")
        assert CLEAR in unknown and len(_text(unknown).strip("\n").splitlines()) <= 24
        assert "unknown key 'x'" in _text(unknown)
        # Enter does nothing, and says nothing.
        terminal.type("\r")
        enter = terminal.press("a")
        assert "unknown key" not in enter
        # a: the whole abstract, to its last words.
        whole = " ".join(_text(enter).replace("│", " ").split())
        assert " ".join(first["abstract"].split()[-5:]) in whole
    finally:
        terminal.close()


def test_undo_in_next_takes_back_only_this_sessions_decisions(cli: Cli) -> None:
    outside = json.loads(cli("list", "--tag", "survey", "-f", "json").stdout)[0]["id"]
    assert cli("mark", outside, "--read").exit_code == 0
    session = cli("next", "--tag", "state-space-models", input="u\nr\nu\nu\nq\n")
    assert session.exit_code == 0, session.output
    assert "nothing to undo in this session" in session.stderr
    assert session.stderr.count("nothing to undo in this session") == 2
    assert "read undone, back to new" in session.stderr
    read = json.loads(cli("list", "--status", "read", "-f", "json").stdout)
    assert [paper["id"] for paper in read] == [outside]
