"""Commands that do what they say: numbers, pipes, filters, output files, searches and titles,
driven the way a user types them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DUMPS, Cli

HUGE = "999999999999999999999"


@pytest.fixture(autouse=True)
def library_with_seeds(cli: Cli) -> None:
    assert cli("ingest", str(DUMPS), "--year", "2025").exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--limit", HUGE],
        ["list", "--seen-min", HUGE],
        ["export", "--limit", HUGE],
        ["export", "--seen-min", HUGE],
        ["search", "deep", "--limit", HUGE],
        ["stats", "--top", HUGE],
        ["dupes", "--min-seen", HUGE],
        ["tags", "eval", str(DUMPS), "--misses", HUGE],
    ],
)
def test_every_number_is_validated(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.exit_code == 2, (args, result.output)
    assert f"{HUGE} is above the largest allowed, 1000000000" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["list", "-f", "jsonl"],
        ["list", "-f", "json"],
        ["list", "-f", "csv"],
        ["export", "-f", "json"],
        ["search", "the", "-f", "jsonl", "--limit", "100"],
    ],
)
def test_a_reader_that_stops_early_ends_the_command_quietly(library: Path, args: list[str]) -> None:
    """`papertriage list -f jsonl | head -1`: every output here is over a pipe's 64 KB, so the
    command is still writing when the reader goes."""
    env = {**os.environ, "PAPERTRIAGE_DB": str(library)}
    process = subprocess.Popen(
        [sys.executable, "-m", "papertriage", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read()
    # 1 as click and rich end on a broken pipe; Python itself may see the pipe go only as it
    # exits, and then ends with 0. Either way, not a word.
    assert process.wait(timeout=60) in (0, 1)
    assert stderr == ""
