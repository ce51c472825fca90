"""Commands that do what they say: numbers, pipes, filters, output files, searches and titles,
driven the way a user types them."""

from __future__ import annotations

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
