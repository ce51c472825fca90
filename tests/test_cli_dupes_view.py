"""What `dupes` shows by default: papers seen under different titles, not every repeat; and
candidates one paper per row."""

from __future__ import annotations

import json

from .conftest import DUMPS, FIXTURES, Cli

SOURCE_A = FIXTURES / "dupes" / "source-a-2025-10-01.txt"
SOURCE_B = FIXTURES / "dupes" / "source-b-2025-10-02.txt"


def test_dupes_shows_papers_seen_under_different_titles_unless_all(cli: Cli) -> None:
    assert cli("ingest", str(DUMPS), str(SOURCE_A), str(SOURCE_B)).exit_code == 0
    varied = json.loads(cli("dupes", "-f", "json").stdout)
    everything = json.loads(cli("dupes", "--all", "-f", "json").stdout)
    assert len(everything) == 14 + 7
    assert varied == [g for g in everything if len({m["title"] for m in g["members"]}) > 1]
    assert len(varied) == 4  # the three merges, and a title seen again with other spacing
    table = cli("dupes").stdout
    assert table.rstrip().endswith(
        "4 papers seen under different titles (17 more under one title: --all)"
    )
    assert "21 papers seen more than once" in cli("dupes", "--all").stdout


def test_candidates_show_each_paper_on_its_own_row(cli: Cli) -> None:
    """At 80 columns the titles wrap: each must start on its paper's row, not run on from the
    other's in one cell."""
    assert cli("ingest", str(SOURCE_A), str(SOURCE_B)).exit_code == 0
    (pair,) = json.loads(cli("dupes", "--candidates", "-f", "json").stdout)
    lines = cli("dupes", "--candidates").stdout.splitlines()
    row_a = next(line for line in lines if line.startswith(pair["a"][:8]))
    row_b = next(line for line in lines if line.startswith(pair["b"][:8]))
    assert pair["title_a"].split()[0] in row_a
    assert pair["title_b"].split()[0] in row_b
    assert "96" in row_a and "96" not in row_b
