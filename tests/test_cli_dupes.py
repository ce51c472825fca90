"""Duplicates through the CLI: automatic merges with reasons, review, and the user's word."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

import papertriage.merging as merging
from papertriage.library import tagger
from papertriage.store import Store
from papertriage.tagging import default_taxonomy

from .conftest import DUMPS, FIXTURES, Cli

SOURCE_A = FIXTURES / "dupes" / "source-a-2025-10-01.txt"
SOURCE_B = FIXTURES / "dupes" / "source-b-2025-10-02.txt"


def dupes(cli: Cli, *args: str) -> list[dict[str, object]]:
    result = cli("dupes", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: list[dict[str, object]] = json.loads(result.stdout)
    return data


def by_title(groups: list[dict[str, object]], start: str) -> dict[str, object]:
    return next(g for g in groups if any(str(m["title"]).startswith(start) for m in g["members"]))  # type: ignore[attr-defined]


def listed(cli: Cli) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(cli("list", "--format", "json").stdout)
    return data


def test_seed_dumps_have_fourteen_repeats_and_no_false_merge(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    assert dupes(cli) == []  # each seen twice under one title
    groups = dupes(cli, "--all")
    assert len(groups) == 14
    assert all(g["seen"] == 2 and g["score"] == 100.0 for g in groups)
    assert len(listed(cli)) == 146


def test_json_shape(cli: Cli) -> None:
    cli("ingest", str(SOURCE_A), str(SOURCE_B))
    group = dupes(cli)[0]
    assert set(group) >= {"id", "title", "seen", "score", "members"}
    member = group["members"][0]  # type: ignore[index]
    assert set(member) >= {"source", "date", "position", "title"}


def test_variants_merge_with_reasons_and_negatives_stay_apart(cli: Cli) -> None:
    result = cli("ingest", str(SOURCE_A), str(SOURCE_B), "--format", "json")
    assert json.loads(result.stdout)["totals"]["merged"] == 3
    groups = dupes(cli, "--all")
    assert len(groups) == 7
    typo = by_title(groups, "SkecthVideo")
    assert typo["seen"] == 2 and 90 <= typo["score"] < 100  # type: ignore[operator]
    assert {m["title"] for m in typo["members"]} == {  # type: ignore[attr-defined]
        "SketchVideo: Sketch-based Video Generation and Editing",
        "SkecthVideo: Sketch-based Video Generation and Editing",
    }
    lost_name = by_title(groups, "A^2E")
    assert "lost the name" in lost_name["merges"][0]["reason"]  # type: ignore[index]
    revised = by_title(groups, "Classical Planning")
    assert revised["merges"][0]["abstract_score"] == 100  # type: ignore[index]
    titles = {str(m["title"]) for g in groups for m in g["members"]}  # type: ignore[attr-defined]
    assert not any(t.startswith(("PRISM", "Qwen")) for t in titles)
    candidates = json.loads(cli("dupes", "--candidates", "--format", "json").stdout)
    assert [(c["title_a"], c["title_b"]) for c in candidates] == [
        ("Qwen2.5 Technical Report", "Qwen2 Technical Report")
    ]


def test_merged_paper_keeps_the_oldest_id_and_aliases_resolve(cli: Cli) -> None:
    cli("ingest", str(SOURCE_A))
    old = {str(p["title"]): str(p["id"]) for p in listed(cli)}
    cli("ingest", str(SOURCE_B))
    sketch = old["SketchVideo: Sketch-based Video Generation and Editing"]
    group = by_title(dupes(cli), "SkecthVideo")
    assert group["id"] == sketch
    alias = next(m["variant"] for m in group["members"] if m["variant"] != sketch)  # type: ignore[attr-defined]
    shown = json.loads(cli("show", alias, "--format", "json").stdout)
    assert shown["id"] == sketch and shown["seen"] == 2


def test_merge_split_and_distinct(cli: Cli) -> None:
    cli("ingest", str(SOURCE_A), str(SOURCE_B))
    pair = json.loads(cli("dupes", "--candidates", "-f", "json").stdout)[0]
    merged = cli("merge", pair["a"][:8], pair["b"], "--format", "json")
    assert merged.exit_code == 0, merged.stderr
    paper = json.loads(merged.stdout)
    assert paper["seen"] == 2
    assert json.loads(cli("dupes", "--candidates", "-f", "json").stdout) == []
    group = next(g for g in dupes(cli) if g["id"] == paper["id"])
    assert group["merges"][0]["origin"] == "user"  # type: ignore[index]
    assert group["merges"][0]["reason"] == "merged by you"  # type: ignore[index]
    # Split undoes it; the two are never merged or proposed again, even on a full rescan.
    split = cli("split", paper["id"], "--format", "json")
    assert split.exit_code == 0, split.stderr
    assert len(json.loads(split.stdout)) == 2
    assert cli("dupes", "--rescan").exit_code == 0
    assert all(g["id"] != paper["id"] for g in dupes(cli))
    assert json.loads(cli("dupes", "--candidates", "-f", "json").stdout) == []
    # Both papers are searchable again, and the library is consistent.
    for part in json.loads(split.stdout):
        words = part["title"].split()[:3]
        found = json.loads(cli("search", " ".join(words), "-f", "json").stdout)
        assert part["id"] in {hit["id"] for hit in found}
    assert cli("check").exit_code == 0


def test_distinct_takes_a_merged_title_back_out(cli: Cli) -> None:
    cli("ingest", str(SOURCE_A), str(SOURCE_B))
    group = by_title(dupes(cli), "SkecthVideo")
    alias = next(m["variant"] for m in group["members"] if m["variant"] != group["id"])  # type: ignore[attr-defined]
    result = cli("distinct", str(group["id"]), alias)
    assert result.exit_code == 0, result.stderr
    assert all(g["id"] != group["id"] for g in dupes(cli))
    assert cli("dupes", "--rescan").exit_code == 0
    assert all(g["id"] != group["id"] for g in dupes(cli))


def test_decisions_survive_reingest(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "dumps"
    folder.mkdir()
    for path in (SOURCE_A, SOURCE_B):
        shutil.copy(path, folder / path.name)
    cli("ingest", str(folder))
    pair = json.loads(cli("dupes", "--candidates", "-f", "json").stdout)[0]
    cli("merge", pair["a"], pair["b"])
    sketch = by_title(dupes(cli), "SkecthVideo")
    cli("split", str(sketch["id"]))
    for path in folder.iterdir():  # both dumps change, so their sightings are replaced
        path.write_text(path.read_text() + "\n")
    assert cli("ingest", str(folder)).exit_code == 0
    groups = dupes(cli)
    assert any(g["id"] == pair["a"] or g["id"] == pair["b"] for g in groups)
    assert all(g["id"] != sketch["id"] for g in groups)


def test_split_of_an_unmerged_paper_is_an_error(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    paper = listed(cli)[0]["id"]
    result = cli("split", str(paper))
    assert result.exit_code == 1 and "nothing to split" in result.stderr


def test_merge_needs_two_papers(cli: Cli) -> None:
    cli("ingest", str(DUMPS))
    paper = str(listed(cli)[0]["id"])
    result = cli("merge", paper, paper[:9])
    assert result.exit_code == 1 and "at least two different papers" in result.stderr


def test_threshold_and_config(cli: Cli, tmp_path: Path) -> None:
    assert cli("ingest", str(DUMPS), "--threshold", "20").exit_code == 2
    config = tmp_path / "config.toml"
    config.write_text("[dedupe]\nmerge_titel = 95\n")
    bad = cli("ingest", str(DUMPS), "--config", str(config))
    assert bad.exit_code == 1
    assert bad.stderr.startswith(f"error: {config}: dedupe.merge_titel:")
    # Abstracts too short to count as evidence: only the title threshold decides.
    for name, title in (("a-2025.txt", "SketchVideo"), ("b-2025.txt", "SkecthVideo")):
        (tmp_path / name).write_text(
            f"Sep 1\n\n{title}: Sketch-based Video Generation and Editing\n\nA stub.\n"
        )
    dumps_a_b = [str(tmp_path / "a-2025.txt"), str(tmp_path / "b-2025.txt")]
    config.write_text("[dedupe]\nsure_title = 99\nmerge_title = 99\n")
    strict = cli("ingest", *dumps_a_b, "--config", str(config), "-f", "json")
    assert strict.exit_code == 0, strict.stderr
    assert json.loads(strict.stdout)["totals"]["merged"] == 0
    assert cli("dupes", "--rescan", "--threshold", "95").exit_code == 0
    assert len(dupes(cli)) == 1


def test_dupes_table(cli: Cli) -> None:
    cli("ingest", str(SOURCE_A), str(SOURCE_B))
    human = cli("dupes")
    assert "papers seen under different titles" in human.stdout
    assert "titles differ by a typo" in human.stdout
    review = cli("dupes", "--candidates")
    assert "papertriage merge A B" in review.stdout


def test_a_first_ingest_dedupes_everything_at_once_and_later_ones_only_the_new(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[int | None] = []
    real = merging.find_duplicates

    def recording(entries: Any, *args: Any, new_ids: Any = None, **kwargs: Any) -> Any:
        asked.append(None if new_ids is None else len(new_ids))
        return real(entries, *args, new_ids=new_ids, **kwargs)

    monkeypatch.setattr(merging, "find_duplicates", recording)
    first, second = sorted((FIXTURES / "dupes").glob("*.txt"))
    assert cli("ingest", str(first)).exit_code == 0
    assert cli("ingest", str(second)).exit_code == 0
    assert asked[0] is None  # every title new: the full run
    assert asked[1] is not None and asked[1] > 0  # only the second dump's new titles
    assert len(json.loads(cli("dupes", "--format", "json").stdout)) > 0


def test_new_titles_of_two_papers_already_merged_join_that_one_paper(
    cli: Cli, tmp_path: Path
) -> None:
    """Each new title clusters with a different member of a merged paper: one paper results,
    under the oldest id, with each moved title logged once."""
    with (FIXTURES.parent.parent / "shared" / "corpus" / "papers.jsonl").open() as lines:
        x, y = (json.loads(next(lines)) for _ in range(2))

    def typo(title: str) -> str:
        at = next(n for n in range(10, len(title)) if title[n : n + 2].isalpha())
        return title[:at] + title[at + 1] + title[at] + title[at + 2 :]

    def dump(name: str, date: str, papers: list[tuple[str, str]]) -> str:
        body = "\n\n".join(f"{title}\n\n{abstract}" for title, abstract in papers)
        (tmp_path / name).write_text(f"{date}\n\n{body}\n", encoding="utf-8")
        return str(tmp_path / name)

    cli("ingest", dump("a-2025.txt", "Sep 1", [(x["title"], x["abstract"])]))
    cli("ingest", dump("b-2025.txt", "Sep 2", [(y["title"], y["abstract"])]))
    first, second = (p["id"] for p in sorted(listed(cli), key=lambda p: str(p["first_seen"])))
    assert cli("merge", str(second), str(first)).exit_code == 0
    new = [(typo(x["title"]), x["abstract"]), (typo(y["title"]), y["abstract"])]
    assert cli("ingest", dump("c-2025.txt", "Sep 3", new)).exit_code == 0
    [paper] = listed(cli)
    assert paper["id"] == first and paper["seen"] == 4
    [group] = dupes(cli)
    logged = [m["variant"] for m in group["merges"]]  # type: ignore[attr-defined]
    assert len(logged) == len(set(logged)) == 3
    assert cli("check").exit_code == 0


def test_merge_groups_sharing_a_paper_fold_into_the_oldest_of_all(
    cli: Cli, tmp_path: Path, library: Path
) -> None:
    """[a, b] and [b, c] with c oldest: all three end in c, however the groups are ordered."""
    names = {"c": "Sep 1", "b": "Sep 2", "a": "Sep 3"}
    for name, date in names.items():
        title = f"Paper {name} on a topic"
        text = f"{date}\n\n{title}\n\nAn abstract about {name}, long enough to stand alone.\n"
        (tmp_path / f"{name}-2025.txt").write_text(text, encoding="utf-8")
        assert cli("ingest", str(tmp_path / f"{name}-2025.txt")).exit_code == 0
    ids = {str(p["title"]).split()[1]: str(p["id"]) for p in listed(cli)}
    with Store(library) as store, store.atomic():
        moved, targets = merging._merge_groups(
            store, [[ids["a"], ids["b"]], [ids["b"], ids["c"]]], {}, "auto"
        )
        store.refresh_papers(targets)
        merging.tag_papers(store, tagger(store, default_taxonomy()), targets)
    assert (moved, targets) == (2, {ids["c"]})
    [paper] = listed(cli)
    assert paper["id"] == ids["c"] and paper["seen"] == 3
    assert cli("check").exit_code == 0


def test_a_merged_paper_shows_its_best_title_and_the_tags_of_what_it_shows(
    cli: Cli, tmp_path: Path
) -> None:
    """The title seen most, else the one seen first: a typo in one dump does not win."""
    from papertriage.tagging import Tagger

    typo = "SkecthVideo: Sketch-based Video Generation and Editing"
    right = "SketchVideo: Sketch-based Video Generation and Editing"
    assert cli("ingest", str(SOURCE_A), str(SOURCE_B)).exit_code == 0

    def shown() -> dict[str, Any]:
        (paper,) = [p for p in listed(cli) if str(p["title"]).startswith(("Sketch", "Skecth"))]
        return paper

    assert shown()["title"] == right and shown()["seen"] == 2
    assert by_title(dupes(cli), "Sketch")["title"] == right
    again = tmp_path / "source-c-2025-10-03.txt"
    again.write_text(SOURCE_B.read_text().replace("Oct 2", "Oct 3", 1), "utf-8")
    assert cli("ingest", str(again)).exit_code == 0
    assert shown()["title"] == typo and shown()["seen"] == 3  # now seen most
    for paper in listed(cli):
        text = (str(paper["title"]), str(paper["abstract"]))
        expected = Tagger(default_taxonomy()).tag_batch([text])[0]
        assert paper["tags"] == sorted(expected), paper["title"]


def test_merge_and_split_leave_every_paper_tagged_by_what_it_shows(cli: Cli, library: Path) -> None:
    """`merge A B` then `split B`: B is tagged at once, not left without tags until `retag`."""
    from papertriage.tagging import Tagger

    cli("ingest", str(DUMPS))
    first, second = (str(p["id"]) for p in listed(cli)[:2])
    before = {str(p["id"]): p["tags"] for p in listed(cli)}
    assert before[first] and before[second]
    assert cli("merge", first, second).exit_code == 0
    assert cli("check").exit_code == 0
    result = cli("split", second)
    assert result.exit_code == 0, result.stderr
    after = {str(p["id"]): p for p in listed(cli)}
    assert after[second]["tags"] == before[second] and after[first]["tags"] == before[first]
    for paper in after.values():
        text = (str(paper["title"]), str(paper["abstract"]))
        expected = Tagger(default_taxonomy()).tag_batch([text])[0]
        assert paper["tags"] == sorted(expected)
    assert cli("distinct", first, second).exit_code == 0
    assert cli("check").exit_code == 0


def test_check_finds_papers_never_tagged(cli: Cli, library: Path) -> None:
    cli("ingest", str(DUMPS))
    paper = str(listed(cli)[0]["id"])
    with Store(library) as store:
        store.conn.execute("UPDATE papers SET tagged_with = NULL WHERE id = ?", (paper,))
    result = cli("check", "-f", "json")
    assert result.exit_code == 1
    assert [p["check"] for p in json.loads(result.stdout)["problems"]] == ["tags"]
    assert cli("retag").exit_code == 0 and cli("check").exit_code == 0
