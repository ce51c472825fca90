"""Ingesting Daily Papers API responses beside dumps, and what an arXiv id makes one paper."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import BAD, CORPUS, EDGE, FIXTURES, SHARED, Cli

API = FIXTURES / "api"
HF_API = SHARED / "hf-api"
DAY = API / "2024-05-27.json"


def papers_json(cli: Cli, *args: str) -> list[dict[str, Any]]:
    result = cli("list", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, Any]] = json.loads(result.stdout)
    return data


def show(cli: Cli, paper: str) -> dict[str, Any]:
    result = cli("show", paper, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def entries(path: Path = DAY) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(path.read_text("utf-8"))
    return data


def response(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(items), "utf-8")
    return path


def by_arxiv(cli: Cli, *args: str) -> dict[str, dict[str, Any]]:
    return {paper["arxiv_id"]: paper for paper in papers_json(cli, *args) if paper["arxiv_id"]}


def test_responses_ingest_with_provenance_and_identity(cli: Cli) -> None:
    result = cli("ingest", str(API), "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["totals"]["records"] == len(entries()) + 9
    assert report["totals"]["rejected"] == 0
    papers = by_arxiv(cli)
    assert len(papers) == len(entries()) + 9
    first = entries()[0]["paper"]
    paper = papers[first["id"]]
    assert paper["authors"] == [author["name"] for author in first["authors"]]
    assert paper["upvotes"] == first["upvotes"]
    assert paper["published"] == first["publishedAt"][:10]
    assert paper["url"] == f"https://huggingface.co/papers/{first['id']}"
    assert paper["first_seen"] == "2024-05-27" and paper["sources"] == ["2024-05-27.json"]
    detail = show(cli, paper["id"])
    assert [(s["source"], s["date"], s["position"]) for s in detail["sightings"]] == [
        ("2024-05-27.json", "2024-05-27", 1)
    ]
    again = cli("ingest", str(API), "--format", "json")
    assert json.loads(again.stdout)["totals"]["unchanged"] == 2


def test_list_sorts_by_upvotes_and_papers_without_a_response_last(cli: Cli) -> None:
    assert cli("ingest", str(API), str(FIXTURES / "dumps")).exit_code == 0
    papers = papers_json(cli, "--sort", "upvotes")
    votes = [paper["upvotes"] for paper in papers]
    known = [vote for vote in votes if vote is not None]
    assert known == sorted(known, reverse=True) and votes[: len(known)] == known
    assert len(known) == len(entries()) + 9 < len(votes)


def test_a_bad_response_is_named_in_one_line_and_the_rest_ingests(cli: Cli) -> None:
    cut, foreign = BAD / "cut-off-2024-05-27.json", BAD / "not-a-response.json"
    result = cli("ingest", str(cut), str(foreign), str(API / "2025-01-10.json"))
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {cut}:{cut.read_text().count(chr(10)) + 1}: not valid JSON (Expecting value,"
        " column 18): cut short?",
        f'error: {foreign}: a JSON object without a "data" list: not a Daily Papers API response',
    ]
    assert "Traceback" not in result.stderr
    assert len(papers_json(cli)) == 9


def test_a_dump_starting_with_a_bracket_is_still_a_dump(cli: Cli, tmp_path: Path) -> None:
    text = (EDGE / "no-chrome.txt").read_text("utf-8")
    dump = tmp_path / "brackets-2025.txt"
    dump.write_text("[CLS] " + text, "utf-8")
    result = cli("ingest", str(dump))
    assert result.exit_code == 0, result.stderr
    assert papers_json(cli)[-1]["title"].startswith("[CLS] ") or any(
        paper["title"].startswith("[CLS] ") for paper in papers_json(cli)
    )


def test_dump_papers_gain_identity_and_keep_their_id_and_decisions(cli: Cli) -> None:
    assert cli("ingest", str(EDGE)).exit_code == 0
    before = {paper["title"]: paper for paper in papers_json(cli)}
    assert all(paper["arxiv_id"] is None and paper["authors"] == [] for paper in before.values())
    chosen = next(iter(before.values()))
    assert cli("mark", chosen["id"], "--star", "--note", "read first").exit_code == 0
    assert cli("ingest", str(DAY)).exit_code == 0
    after = {paper["title"]: paper for paper in papers_json(cli)}
    known = {" ".join(item["title"].split()): item["paper"] for item in entries()}
    for title, paper in before.items():
        assert after[title]["id"] == paper["id"]
        assert after[title]["arxiv_id"] == known[title]["id"]
        assert after[title]["authors"] == [a["name"] for a in known[title]["authors"]]
    kept = after[chosen["title"]]
    assert (kept["status"], kept["note"]) == ("starred", "read first")
    sources = {s["source"] for s in show(cli, chosen["id"])["sightings"]}
    assert "2024-05-27.json" in sources and len(sources) >= 2


def test_a_revised_title_stays_one_paper(cli: Cli, tmp_path: Path) -> None:
    items = entries()
    original = items[0]
    revised = json.loads(json.dumps(original))
    revised["title"] = revised["paper"]["title"] = "A Different Title After Revision on arXiv"
    later = response(tmp_path / "2024-06-03.json", [revised])
    assert cli("ingest", str(DAY), str(later)).exit_code == 0
    papers = [p for p in papers_json(cli) if p["arxiv_id"] == original["paper"]["id"]]
    assert len(papers) == 1
    paper = show(cli, papers[0]["id"])
    assert {s["title"] for s in paper["sightings"]} == {
        " ".join(original["title"].split()),
        "A Different Title After Revision on arXiv",
    }
    dupes = json.loads(cli("dupes", "--format", "json").stdout)
    (group,) = [g for g in dupes if g["id"] == paper["id"]]
    assert [m["reason"] for m in group["merges"]] == [f"same arXiv id {original['paper']['id']}"]
    split = cli("split", paper["id"])
    assert split.exit_code == 1
    assert split.stderr.startswith("error: title ") and "one paper" in split.stderr


def test_different_ids_are_never_one_paper(cli: Cli, tmp_path: Path) -> None:
    items = entries()
    a, b = items[0], json.loads(json.dumps(items[1]))
    b["title"] = a["title"]  # another paper under the very same title
    near = json.loads(json.dumps(items[2]))
    near["title"] = a["title"].replace("Visual", "Visaul")  # and one a typo away
    assert near["title"] != a["title"]
    path = response(tmp_path / "2024-05-27.json", [a, b, near])
    result = cli("ingest", str(path))
    assert result.exit_code == 0, result.stderr
    papers = by_arxiv(cli)
    assert set(papers) == {a["paper"]["id"], b["paper"]["id"], near["paper"]["id"]}
    assert len(papers_json(cli)) == 3
    candidates = json.loads(cli("dupes", "--candidates", "--format", "json").stdout)
    reasons = {c["reason"] for c in candidates}
    assert any("different arXiv ids" in reason for reason in reasons), reasons
    assert cli("ingest", str(path), "--format", "json").exit_code == 0
    merged = cli("merge", papers[a["paper"]["id"]]["id"], papers[b["paper"]["id"]]["id"])
    assert merged.exit_code == 1
    assert merged.stderr.startswith("error: papers with different arXiv ids are different")
    assert len(papers_json(cli)) == 3


def test_a_dump_title_and_a_known_id_make_one_paper(cli: Cli, tmp_path: Path) -> None:
    """First a response under a revised title (paper P, with the id), then a dump under the
    original title (paper Q, none), then a response giving the original title that id."""
    original = next(e for e in entries() if e["title"].startswith("Data Mixing Made Efficient"))
    revised = json.loads(json.dumps(original))
    revised["title"] = "A Different Title After Revision on arXiv"
    assert cli("ingest", str(response(tmp_path / "2024-05-20.json", [revised]))).exit_code == 0
    assert cli("ingest", str(EDGE / "two-pages-2025.txt")).exit_code == 0
    title = " ".join(original["title"].split())
    (dumped,) = [p for p in papers_json(cli) if p["title"] == title]
    assert dumped["arxiv_id"] is None
    assert cli("mark", dumped["id"], "--later").exit_code == 0
    assert cli("ingest", str(response(tmp_path / "2024-05-27.json", [original]))).exit_code == 0
    (paper,) = [p for p in papers_json(cli) if p["arxiv_id"] == original["paper"]["id"]]
    assert paper["status"] == "later"
    titles = {s["title"] for s in show(cli, paper["id"])["sightings"]}
    assert titles == {title, "A Different Title After Revision on arXiv"}
    assert cli("check").exit_code == 0


def test_all_responses_give_one_paper_per_arxiv_id(cli: Cli) -> None:
    result = cli("ingest", str(HF_API), "--format", "json")
    assert result.exit_code == 0, result.stderr
    expected: dict[str, tuple[list[str], str]] = {}
    for path in sorted(HF_API.glob("*.json")):
        raw = json.loads(path.read_text("utf-8"))
        for item in raw["data"] if isinstance(raw, dict) else raw:
            entry = eval_entry(item)
            names = [author["name"] for author in entry["paper"]["authors"]]
            expected.setdefault(entry["paper"]["id"], (names, path.stem))
    papers = papers_json(cli)
    assert len(papers) == len(expected) == 7595
    for paper in papers:
        authors, first = expected[paper["arxiv_id"]]
        assert paper["authors"] == authors
        assert paper["first_seen"] == first


def eval_entry(item: object) -> dict[str, Any]:
    import ast

    entry = ast.literal_eval(item) if isinstance(item, str) else item
    assert isinstance(entry, dict)
    return entry


@pytest.mark.parametrize("order", ["responses first", "dumps first"])
def test_responses_and_the_corpus_dumps_give_the_corpus(cli: Cli, order: str) -> None:
    sources = [str(HF_API), str(CORPUS / "dumps")]
    if order == "dumps first":
        sources.reverse()
    for source in sources:
        result = cli("ingest", source)
        assert result.exit_code == 0, result.stderr
    corpus = {
        row["arxiv_id"]: row
        for row in map(json.loads, (CORPUS / "papers.jsonl").read_text("utf-8").splitlines())
    }
    papers = papers_json(cli)
    assert len(papers) == len(corpus) == 9877
    in_responses = {path.stem for path in HF_API.glob("*.json")}
    by_title = {row["title"]: row for row in corpus.values()}
    identified = 0
    for paper in papers:
        row = by_title[paper["title"]]
        days = row.get("featured_dates", [row["date"]])
        assert paper["first_seen"] == days[0]
        if paper["arxiv_id"] is None:
            assert not set(days) & in_responses
            continue
        identified += 1
        assert paper["arxiv_id"] == row["arxiv_id"]
        assert paper["authors"] == row["authors"]
        assert {f"{day}.json" for day in days if day in in_responses} | {
            f"{day}.txt" for day in days
        } == set(paper["sources"])
    assert identified == 7595
    assert cli("check").exit_code == 0


def test_show_and_next_give_authors_shortened_and_links(cli: Cli) -> None:
    assert cli("ingest", str(DAY)).exit_code == 0
    first = entries()[0]["paper"]
    names = [author["name"] for author in first["authors"]]
    assert len(names) > 6
    paper = next(p for p in papers_json(cli) if p["arxiv_id"] == first["id"])
    shown = cli("show", paper["id"]).stdout
    assert f"{', '.join(names[:5])} and {len(names) - 5} more" in shown
    assert names[-1] not in shown
    assert f"https://huggingface.co/papers/{first['id']}" in shown
    assert f"https://arxiv.org/abs/{first['id']}" in shown
    assert f"{first['upvotes']} upvotes" in shown
    best = papers_json(cli, "--sort", "best")[0]
    triage = cli("next", input="q\n")
    assert triage.exit_code == 0
    assert f"https://arxiv.org/abs/{best['arxiv_id']}" in triage.stderr
    assert best["authors"][0] in triage.stderr


def test_exports_carry_identity(cli: Cli, tmp_path: Path) -> None:
    assert cli("ingest", str(DAY)).exit_code == 0
    first = entries()[0]["paper"]
    digest = cli("export", "--format", "markdown").stdout
    assert f"[arXiv {first['id']}](https://arxiv.org/abs/{first['id']})" in digest
    assert f"- **Authors:** {first['authors'][0]['name']}, " in digest
    rows = cli("export", "--format", "csv").stdout
    assert f"https://huggingface.co/papers/{first['id']}" in rows
    bibtex = cli("export", "--format", "bibtex").stdout
    assert f"eprint = {{{first['id']}}}" in bibtex and "archivePrefix = {arXiv}" in bibtex


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is not installed")
def test_pandoc_citeproc_renders_the_authors(cli: Cli, tmp_path: Path) -> None:
    assert cli("ingest", str(DAY)).exit_code == 0
    refs = tmp_path / "refs.bib"
    assert cli("export", "--format", "bibtex", "-o", str(refs)).exit_code == 0
    document = tmp_path / "doc.md"
    document.write_text("---\nnocite: '@*'\n---\n", "utf-8")
    rendered = subprocess.run(
        ["pandoc", "--citeproc", "--bibliography", str(refs), "-t", "plain", str(document)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    first = entries()[0]["paper"]
    family, given = first["authors"][0]["name"].split()[-1], first["authors"][0]["name"].split()[0]
    assert f"{family}, {given}" in " ".join(rendered.split())
    assert f"https://arxiv.org/abs/{first['id']}" in rendered
    assert "2024" in rendered


def test_decisions_carry_the_arxiv_id_and_follow_it(cli: Cli, tmp_path: Path) -> None:
    original = entries()[0]
    assert cli("ingest", str(response(tmp_path / "2024-05-27.json", [original]))).exit_code == 0
    (paper,) = papers_json(cli)
    assert cli("mark", paper["id"], "--star", "--note", "cite this").exit_code == 0
    assert cli("tag", paper["id"], "+security").exit_code == 0
    exported = tmp_path / "decisions.json"
    assert cli("decisions", "export", str(exported)).exit_code == 0
    data = json.loads(exported.read_text("utf-8"))
    assert data["statuses"][0]["arxiv_id"] == original["paper"]["id"]
    assert data["tags"][0]["arxiv_id"] == original["paper"]["id"]
    revised = json.loads(json.dumps(original))
    revised["title"] = "A Different Title After Revision on arXiv"
    other = tmp_path / "other.db"
    (tmp_path / "later").mkdir()
    path = response(tmp_path / "later" / "2024-06-03.json", [revised])
    assert cli("ingest", str(path), "--db", str(other)).exit_code == 0
    imported = cli("decisions", "import", str(exported), "--db", str(other))
    assert imported.exit_code == 0, imported.stderr
    (there,) = papers_json(cli, "--db", str(other))
    assert there["id"] != paper["id"]  # another title, another stable id: found by arXiv id
    assert (there["status"], there["note"]) == ("starred", "cite this")
    assert "security" in there["tags"]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The links a command asked the browser to open (none is started)."""
    opened: list[str] = []

    def record(link: str) -> bool:
        opened.append(link)
        return True

    monkeypatch.setattr("webbrowser.open", record)
    return opened


def test_open_shows_the_paper_in_the_browser(cli: Cli, browser: list[str]) -> None:
    assert cli("ingest", str(DAY), str(FIXTURES / "dumps")).exit_code == 0
    first = entries()[0]["paper"]
    paper = next(p for p in papers_json(cli) if p["arxiv_id"] == first["id"])
    result = cli("open", paper["id"][:8])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"https://huggingface.co/papers/{first['id']}\n"
    assert cli("open", paper["title"], "--arxiv").stdout == f"https://arxiv.org/abs/{first['id']}\n"
    assert browser == [
        f"https://huggingface.co/papers/{first['id']}",
        f"https://arxiv.org/abs/{first['id']}",
    ]
    dumped = next(p for p in papers_json(cli) if p["arxiv_id"] is None)
    refused = cli("open", dumped["id"])
    assert refused.exit_code == 1 and "has no arXiv id yet" in refused.stderr
    assert len(browser) == 2


def test_the_o_key_in_next_opens_the_paper_and_keeps_it(cli: Cli, browser: list[str]) -> None:
    assert cli("ingest", str(DAY)).exit_code == 0
    best = papers_json(cli, "--sort", "best")[0]
    result = cli("next", input="o\nr\nq\n")
    assert result.exit_code == 0, result.stderr
    assert browser == [best["url"]]
    assert f"{best['id'][:8]}: opening {best['url']}" in result.stderr
    (read,) = papers_json(cli, "--status", "read")
    assert read["id"] == best["id"]  # `o` decided nothing: `r` read the same paper


def test_search_finds_authors(cli: Cli) -> None:
    assert cli("ingest", str(API)).exit_code == 0
    first = entries()[0]["paper"]
    name = first["authors"][1]["name"]
    found = json.loads(cli("search", f"author:{name.split()[-1]}", "-f", "json").stdout)
    assert first["id"] in {hit["arxiv_id"] for hit in found}
    assert all(
        any(name.split()[-1].lower() in author.lower().split() for author in hit["authors"])
        for hit in found
    )
    exact = json.loads(cli("search", f'author:"{name.upper()}"', "-f", "json").stdout)
    assert [hit["arxiv_id"] for hit in exact] == [first["id"]]
    assert name in exact[0]["snippet"]
    word = " ".join(entries()[0]["title"].split()).split(":")[0]
    both = json.loads(cli("search", f'{word} author:"{name}"', "-f", "json").stdout)
    assert [hit["arxiv_id"] for hit in both] == [first["id"]]
    assert json.loads(cli("search", f'{word} author:"Nobody Atall"', "-f", "json").stdout) == []
    empty = cli("search", "author:")
    assert empty.exit_code == 1 and "author: needs a name" in empty.stderr


def test_upvotes_count_in_best_first_after_repetition(cli: Cli) -> None:
    assert cli("ingest", str(API), str(EDGE / "two-pages-2025.txt")).exit_code == 0
    best = papers_json(cli, "--sort", "best")
    order = [(-paper["seen"], -(paper["upvotes"] or -1)) for paper in best]
    assert order == sorted(order)
    assert best[0]["seen"] > 1  # seen in the dump and the response
    once = [paper["upvotes"] for paper in best if paper["seen"] == 1]
    assert once == sorted(once, reverse=True) and len(set(once)) > 1
