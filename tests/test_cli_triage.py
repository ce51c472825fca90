"""Triage and search through the CLI: mark, undo, next (driven through its input), search, show."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DUMPS, FIXTURES, Cli


@pytest.fixture(autouse=True)
def library_with_seeds(cli: Cli) -> None:
    assert cli("ingest", str(DUMPS), "--year", "2025").exit_code == 0


def listed(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli("list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def ids(cli: Cli, *args: str) -> list[str]:
    return [str(p["id"]) for p in listed(cli, *args)]


def test_mark_and_list_by_status(cli: Cli) -> None:
    first, second, third = ids(cli)[:3]
    assert cli("mark", first[:8], second, "--read").exit_code == 0
    assert cli("mark", third, "--star", "--note", "cite in chapter 2").exit_code == 0
    assert set(ids(cli, "--status", "read")) == {first, second}
    starred = listed(cli, "--status", "starred")
    assert [(p["id"], p["note"]) for p in starred] == [(third, "cite in chapter 2")]
    assert len(ids(cli, "--status", "new")) == 143
    assert len(ids(cli, "--status", "read", "--status", "starred")) == 3
    # A note alone keeps the status; an empty note clears it.
    cli("mark", third, "--note", "")
    assert listed(cli, "--status", "starred")[0]["note"] is None


def test_mark_errors(cli: Cli) -> None:
    paper = ids(cli)[0]
    nothing = cli("mark", paper)
    assert nothing.exit_code == 1 and "say what to do" in nothing.stderr
    both = cli("mark", paper, "--read", "--star")
    assert both.exit_code == 1 and "choose one" in both.stderr
    bad = cli("list", "--status", "done")
    assert bad.exit_code == 2


def test_undo_walks_back_one_step_at_a_time(cli: Cli) -> None:
    first, second = ids(cli)[:2]
    cli("mark", first, second, "--read")
    cli("mark", first, "--star")
    assert set(ids(cli, "--status", "starred")) == {first}
    cli("undo")
    assert set(ids(cli, "--status", "read")) == {first, second}
    cli("undo")
    assert ids(cli, "--status", "read") == []
    result = cli("undo")
    assert result.exit_code == 0 and "nothing to undo" in result.stderr


def test_next_driven_through_its_input(cli: Cli) -> None:
    queue = ids(cli, "--sort", "seen")
    result = cli("next", input="r\ns\nu\nn\nk\nl\nq\n")
    assert result.exit_code == 0, result.stderr
    assert "not a terminal" in result.stderr and "stopped: 3 decided" in result.stderr
    assert result.stdout == ""
    best = [str(p["id"]) for p in listed(cli, "--seen-min", "2")]
    assert queue[0] in best  # best first: papers seen in most dumps come first
    assert len(ids(cli, "--status", "read")) == 1
    assert ids(cli, "--status", "starred") == []  # undone
    assert len(ids(cli, "--status", "skipped")) == 1
    assert len(ids(cli, "--status", "later")) == 1


def test_next_saves_each_key_and_stops_at_end_of_input(cli: Cli) -> None:
    result = cli("next", input="r\nr\n")
    assert result.exit_code == 0
    assert "end of input" in result.stderr
    assert len(ids(cli, "--status", "read")) == 2


def test_next_with_a_tag_and_unknown_keys(cli: Cli) -> None:
    result = cli("next", "--tag", "state-space-models", input="x\nr\nq\n")
    assert "unknown key 'x'" in result.stderr
    read = listed(cli, "--status", "read")
    assert len(read) == 1 and "state-space-models" in read[0]["tags"]  # type: ignore[operator]


def test_next_with_nothing_new(cli: Cli) -> None:
    cli("mark", *ids(cli), "--skip")
    result = cli("next", input="r\n")
    assert result.exit_code == 0 and "no new papers" in result.stderr


def test_next_in_a_real_process_without_a_terminal(library: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "papertriage", "next"],
        input="s\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and "end of input" in done.stderr


def test_search_ranks_titles_first_and_filters(cli: Cli) -> None:
    result = cli("search", "mamba", "--format", "json")
    assert result.exit_code == 0, result.stderr
    hits = json.loads(result.stdout)
    assert hits and "mamba" in hits[0]["title"].lower()
    assert all("\ue000" not in hit["snippet"] for hit in hits)
    tagged = json.loads(cli("search", "survey", "--tag", "state-space-models", "-f", "json").stdout)
    assert tagged and all("state-space-models" in hit["tags"] for hit in tagged)
    cli("mark", hits[0]["id"], "--read")
    unread = json.loads(cli("search", "mamba", "--status", "new", "-f", "json").stdout)
    assert hits[0]["id"] not in {hit["id"] for hit in unread}
    since = json.loads(cli("search", "mamba", "--since", "2025-09-20", "-f", "json").stdout)
    assert all(hit["last_seen"] >= "2025-09-20" for hit in since)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"deep research"', 1),
        ("retriev*", 1),
        ("deep-research", 1),
        ("GPT-4o's", 0),
        ("title:mamba", 1),
        ("mamba NOT survey", 1),
    ],
)
def test_search_syntax(cli: Cli, query: str, expected: int) -> None:
    result = cli("search", query, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert (len(json.loads(result.stdout)) > 0) == bool(expected)


@pytest.mark.parametrize("query", ['"unbalanced', "AND OR", "mamba AND", "(survey", "   "])
def test_malformed_search_is_a_clear_error(cli: Cli, query: str) -> None:
    result = cli("search", query)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_search_index_follows_merges_and_replacements(cli: Cli) -> None:
    cli("ingest", str(FIXTURES / "dupes"))
    hits = json.loads(cli("search", "SkecthVideo OR SketchVideo", "-f", "json").stdout)
    assert len(hits) == 1  # two titles, one merged paper
    split = cli("split", hits[0]["id"])
    assert split.exit_code == 0, split.stderr
    hits = json.loads(cli("search", "SkecthVideo OR SketchVideo", "-f", "json").stdout)
    assert len(hits) == 2


def test_show_by_title_fragment(cli: Cli) -> None:
    result = cli("show", "mamba selective", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["title"].startswith("Mamba: Linear-Time")
    typo = cli("show", "mamba slective stte spaces", "--format", "json")
    assert json.loads(typo.stdout)["title"].startswith("Mamba: Linear-Time")
    ambiguous = cli("show", "survey deep")
    assert ambiguous.exit_code == 1
    assert "matches several papers" in ambiguous.stderr
    assert "A Comprehensive Survey of Deep Research" in ambiguous.stderr
    nothing = cli("show", "zzzz qqqq")
    assert nothing.exit_code == 1 and "no paper id or title matches" in nothing.stderr


def test_show_displays_status_and_note(cli: Cli) -> None:
    paper = ids(cli)[0]
    cli("mark", paper, "--later", "--note", "after the deadline")
    human = cli("show", paper)
    assert "later" in human.stdout and "after the deadline" in human.stdout


def test_stats_by_status_tag_and_month(cli: Cli) -> None:
    first, second = ids(cli)[:2]
    cli("mark", first, "--star")
    cli("mark", second, "--read")
    data = json.loads(cli("stats", "--format", "json").stdout)
    assert data["per_status"] == {"new": 144, "starred": 1, "read": 1}
    assert data["per_tag"]["deep-research"] == len(ids(cli, "--tag", "deep-research"))
    assert data["dumps_per_month"] == {"2025-09": 2}
    human = cli("stats").stdout
    assert "Papers by status" in human and "Papers by tag" in human and "█" in human
    rows = cli("stats", "--format", "csv").stdout.splitlines()
    assert "per_status.starred,1" in rows


def test_next_shows_the_whole_abstract_wrapped(cli: Cli) -> None:
    result = cli("next", input="q\n")
    first = json.loads(cli("show", ids(cli, "--sort", "best")[0], "-f", "json").stdout)
    shown = " ".join(result.stderr.replace("│", " ").split())
    assert " ".join(first["abstract"].split()[-6:]) in shown


def test_next_reads_its_queue_a_page_at_a_time(
    cli: Cli, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 3 give the order a whole queue had, ties (same seen, upvotes and day) by id; a
    paper decided elsewhere before its page is read is left out, and the count says so once
    the last page is read."""
    from papertriage.store import PaperFilter, Store
    from papertriage.triage import Session

    monkeypatch.setattr(Session, "PAGE", 3)
    order = ids(cli, "--status", "new", "--sort", "best")
    elsewhere = order[10]
    with Store(library) as store:
        session = Session(store, PaperFilter())
        shown: list[str] = []
        remaining: list[int] = []
        while (paper := session.current()) is not None:
            remaining.append(session.remaining)
            shown.append(paper.id)
            if len(shown) == 2:
                assert cli("mark", elsewhere, "--read").exit_code == 0
            session.press("r" if len(shown) == 1 else "n")
        assert session.press("n").done
    assert shown == [paper for paper in order if paper != elsewhere]
    assert remaining == [len(order) - n for n in range(len(order) - 2)] + [1]
    assert ids(cli, "--status", "read") == sorted([order[0], elsewhere])


@pytest.mark.parametrize(
    "filters",
    [{}, {"seen_min": 2}, {"statuses": ["read"]}, {"since": "2025-09-26", "limit": 5}],
)
def test_search_keeps_the_ranking_of_the_papers_a_filter_keeps(
    cli: Cli, library: Path, filters: dict[str, object]
) -> None:
    """Filters are checked a slice of the ranking at a time: what is kept is the ranking's
    first papers that the filter lets through, in its order, as many as the limit allows."""
    from papertriage import lookup
    from papertriage.store import PaperFilter, Store

    assert cli("mark", *ids(cli, "--sort", "title")[::7], "--read").exit_code == 0
    where = PaperFilter.model_validate(filters)
    with Store(library) as store:
        ranking = [
            hit.paper.id for hit in lookup.search(store, "the OR of OR model*", PaperFilter())
        ]
        kept = store.matching_ids(where)
        found = lookup.search(store, "the OR of OR model*", where)
    assert len(ranking) > 100  # more than the first slice
    assert [hit.paper.id for hit in found] == [p for p in ranking if p in kept][: where.limit]
    assert found and all("\ue000" in hit.title + hit.snippet for hit in found)
