"""Commands that do what they say: numbers, pipes, filters, output files, searches and titles,
driven the way a user types them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CORPUS, DUMPS, Cli

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


def _help_records(command: str) -> dict[str, str]:
    """Each option of a command with its help line, as `--help` shows them."""
    text = Cli()(command, "--help").stdout
    records: dict[str, str] = {}
    name = ""
    for line in text.split("Options:", 1)[1].splitlines():
        words = line.split()
        if line.startswith("  -"):
            name = next(word for word in words if word.startswith("--"))
            records[name] = line
        elif name and words:
            records[name] += " " + " ".join(words)
    return {name: " ".join(record.split()) for name, record in records.items()}


def test_list_export_and_search_share_one_definition_of_their_filters() -> None:
    listing, export, search = (_help_records(name) for name in ("list", "export", "search"))
    shared = ["--since", "--until", "--source", "--seen-min", "--tag", "--any-tag"]
    shared += ["--untagged", "--status"]
    for option in shared:
        assert listing[option] == export[option] == search[option], option
    assert listing["--sort"] == export["--sort"] and "best" in listing["--sort"]


def test_since_and_until_together_mean_seen_between_them(cli: Cli) -> None:
    both = {str(p["id"]) for p in json.loads(cli("list", "-f", "json", "--seen-min", "2").stdout)}
    assert len(both) == 14  # seen on 2025-09-05 and on 2025-09-26
    between = cli("list", "-f", "json", "--since", "2025-09-06", "--until", "2025-09-25")
    assert between.exit_code == 0 and json.loads(between.stdout) == []
    september = json.loads(
        cli("export", "-f", "json", "--since", "2025-09-20", "--until", "2025-09-30").stdout
    )
    assert len(september) == 95 and all(paper["last_seen"] == "2025-09-26" for paper in september)
    found = cli(
        "search", "deep research", "-f", "json", "--since", "2025-09-06", "--until", "2025-09-25"
    )
    assert found.exit_code == 0 and json.loads(found.stdout) == []


def test_an_inverted_range_is_refused(cli: Cli) -> None:
    for command in (["list"], ["export"], ["search", "agents"]):
        result = cli(*command, "--since", "2025-09-26", "--until", "2025-09")
        assert result.exit_code == 1, command
        assert result.stderr.startswith("error: --since 2025-09-26 is after --until 2025-09")


def test_an_unknown_source_is_an_error(cli: Cli) -> None:
    for command in (["list"], ["export"], ["search", "agents"]):
        result = cli(*command, "--source", "nosuch.txt")
        assert result.exit_code == 1, command
        assert "no dump named 'nosuch.txt' in this library" in result.stderr
    typo = cli("list", "--source", "000_2b9e3ea4e6b592bd.tx")
    assert "did you mean 000_2b9e3ea4e6b592bd.txt?" in typo.stderr


def test_a_table_shows_30_papers_unless_asked_and_says_how_many_more(cli: Cli) -> None:
    table = cli("list")
    assert table.exit_code == 0
    assert "30 of 146 papers; 116 more: --limit N (0: all)" in table.stdout
    assert len(re.findall(r"^[0-9a-f]{8} ", table.stdout, re.MULTILINE)) == 30
    assert "146 papers" in cli("list", "--limit", "0").stdout
    deep = len(json.loads(cli("list", "--tag", "deep-research", "-f", "json").stdout))
    shown = cli("list", "--tag", "deep-research", "--limit", "2").stdout
    assert f"2 of {deep} papers; {deep - 2} more" in shown
    # Formats for programs stay complete; 0 is no limit everywhere.
    assert len(json.loads(cli("list", "-f", "json").stdout)) == 146
    assert len(json.loads(cli("export", "-f", "json", "--limit", "0").stdout)) == 146
    assert len(json.loads(cli("search", "the", "-f", "json", "--limit", "0").stdout)) > 20


MAMBA = "c4849785c030"  # Mamba: Linear-Time Sequence Modeling with Selective State Spaces


def test_title_words_need_no_quotes(cli: Cli) -> None:
    shown = cli("show", "mamba", "selective", "-f", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["id"] == MAMBA
    explained = cli("tags", "explain", "mamba", "selective", "-f", "json")
    assert explained.exit_code == 0 and json.loads(explained.stdout)["paper_id"] == MAMBA
    tagged = cli("tag", "mamba", "selective", "+efficiency", "-survey", "-f", "json")
    assert tagged.exit_code == 0, tagged.output
    assert json.loads(tagged.stdout)["tag_origins"]["efficiency"] == "user"
    assert cli("mark", "mamba", "selective", "--star").exit_code == 0
    assert [
        p["id"] for p in json.loads(cli("list", "--status", "starred", "-f", "json").stdout)
    ] == [MAMBA]


def test_mark_and_merge_take_ids_and_titles_together(cli: Cli) -> None:
    gym = "9712c8c7"  # DeepResearchGym: ...
    marked = cli("mark", gym, "mamba selective", "--read")
    assert marked.exit_code == 0 and "marked 2 papers read" in marked.stderr
    merged = cli("merge", "mamba", "selective", "state", "spaces", gym, "-f", "json")
    assert merged.exit_code == 0, merged.output
    assert {v for s in json.loads(merged.stdout)["sightings"] for v in [s["title"][:5]]} == {
        "Mamba",
        "DeepR",
    }


def test_words_that_match_no_title_say_so(cli: Cli) -> None:
    assert cli("ingest", str(CORPUS / "dumps")).exit_code == 0
    result = cli("show", "nosuchthing")
    assert result.exit_code == 1
    assert result.stderr == "error: no paper id or title matches 'nosuchthing'\n"
    assert result.stdout == ""
    # A typo still finds its paper.
    typo = cli("show", "mamba", "selectve", "-f", "json")
    assert json.loads(typo.stdout)["title"].startswith("Mamba: Linear-Time")


def test_an_empty_paper_is_a_usage_error(cli: Cli) -> None:
    for args in (["show", ""], ["show", " "], ["mark", "", "--read"], ["tags", "explain", ""]):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert "give a paper id or words of its title" in result.stderr


def _found(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli("search", *args, "-f", "json", "--limit", "0")
    assert result.exit_code == 0, result.output
    found: list[dict[str, object]] = json.loads(result.stdout)
    return found


def test_search_takes_several_words_and_minus_excludes(cli: Cli) -> None:
    assert _found(cli, "test", "time", "compute") == _found(cli, "test time compute")
    assert _found(cli, "test", "time", "compute")
    reasoning = _found(cli, "reasoning")
    without = _found(cli, "reasoning", "-agent", "-agents")
    assert 0 < len(without) < len(reasoning)
    agent = re.compile(r"\bagents?\b", re.IGNORECASE)
    assert not any(agent.search(f"{p['title']} {p['abstract']}") for p in without)
    assert len(_found(cli, "-agents", "reasoning")) == len(_found(cli, "reasoning", "-agents"))
    phrase = _found(cli, "reasoning", '-"large language"')
    assert phrase and not any("large language" in str(p["abstract"]).lower() for p in phrase)


def test_search_without_a_word_to_find_or_with_a_broken_query(cli: Cli) -> None:
    only = cli("search", "-reasoning")
    assert only.exit_code == 1
    assert only.stderr == (
        "error: nothing to search for: -word leaves papers out, give a word to look for too\n"
    )
    for query in ('"unclosed', "(reasoning", "reasoning AND", "NEAR(a b"):
        result = cli("search", query)
        assert result.exit_code == 1, query
        assert result.stderr.startswith(f"error: cannot read the search query {query!r}")
        assert "fts5" not in result.stderr and "syntax error" not in result.stderr


def test_search_results_show_a_date(cli: Cli) -> None:
    table = cli("search", "mamba", "selective")
    assert "2025-09-05" in table.stdout and "last seen" in table.stdout


def test_export_to_a_file_is_refused_like_backup(cli: Cli, tmp_path: Path) -> None:
    nowhere = tmp_path / "nonexistent" / "dir" / "x.md"
    result = cli("export", "-o", str(nowhere))
    assert result.exit_code == 1
    assert result.stderr == f"error: {nowhere}: cannot write there (No such file or directory)\n"
    digest = tmp_path / "digest.md"
    assert cli("export", "-o", str(digest), "--limit", "1").exit_code == 0
    first = digest.read_text()
    again = cli("export", "-o", str(digest))
    assert again.exit_code == 1
    assert again.stderr == f"error: {digest}: already exists (use --force to replace it)\n"
    assert digest.read_text() == first
    backup = cli("backup", str(digest))
    assert backup.stderr == again.stderr
    assert cli("export", "-o", str(digest), "--force").exit_code == 0
    assert digest.read_text() != first
    assert sorted(path.name for path in tmp_path.iterdir()) == ["digest.md", "library.db"]


def test_tags_eval_with_no_paper_of_the_gold_labels_is_an_error(cli: Cli, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"title": "A Paper Nobody Wrote", "tags": ["agents"]}\n')
    result = cli("tags", "eval", str(gold))
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {gold}: none of its 1 titles is in this library (ingest their dumps first)\n"
    )


def test_merging_papers_you_called_distinct_needs_force(cli: Cli) -> None:
    gym, mamba = "9712c8c7", MAMBA
    assert cli("distinct", gym, mamba).exit_code == 0
    refused = cli("merge", gym, mamba)
    assert refused.exit_code == 1
    assert refused.stderr == (
        "error: 9712c8c7 and c4849785 were marked not duplicates (`papertriage distinct`);"
        " merge them anyway with --force\n"
    )
    assert len(json.loads(cli("list", "-f", "json").stdout)) == 146
    forced = cli("merge", gym, mamba, "--force")
    assert forced.exit_code == 0, forced.output
    assert len(json.loads(cli("list", "-f", "json").stdout)) == 145
    rescan = cli("dupes", "--rescan", "-f", "json")
    assert rescan.exit_code == 0
    assert len(json.loads(cli("list", "-f", "json").stdout)) == 145
