"""A big library's title index: an incremental dedupe that reads the new titles and their
neighbours only merges and proposes exactly what one reading every title does."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from papertriage import merging
from papertriage.dedupe import DedupeConfig, find_duplicates
from papertriage.dedupe.index import TitleIndex, build_index, variant_hex, variant_number
from papertriage.ingest import ingest_paths
from papertriage.merging import dedupe_library
from papertriage.store import Store

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "papers.jsonl"


def corpus() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines][:2530]


def write(path: Path, papers: list[tuple[str, str]], day: str) -> Path:
    path.write_text(f"{day}\n\n" + "\n\n".join(f"{t}\n\n{a}" for t, a in papers) + "\n", "utf-8")
    return path


def days(folder: Path) -> list[Path]:
    """A library's first dumps, then a day's: new papers, and the ways a known paper comes back
    (a typo, its name alone, a new version, a cut abstract, a namesake with another abstract,
    typos in every word)."""
    rng = random.Random(11)
    real = corpus()
    old, new = real[:2500], real[2500:]
    first = [(p["title"], p["abstract"]) for p in old]
    day: list[tuple[str, str]] = [(p["title"], p["abstract"]) for p in new]
    for n, paper in enumerate(rng.sample(old, 70)):
        title, abstract = paper["title"], paper["abstract"]
        kind = n % 7
        if kind == 6:  # a typo in every word: only the abstract's opening files it with its paper
            day.append((" ".join(w[1::-1] + w[2:] for w in title.split()), abstract))
        elif kind == 0:
            day.append((title.replace("a", "e", 1), abstract))
        elif kind == 1 and ":" in title:
            day.append((title.split(":")[0], abstract))
        elif kind == 2:
            day.append((f"{title} (v2)", abstract))
        elif kind == 3:
            day.append((title.upper(), abstract[: len(abstract) // 2].rsplit(" ", 1)[0]))
        elif kind == 4:
            day.append((f"Zorblax: {title.split(':')[-1].strip()}", rng.choice(real)["abstract"]))
        else:
            day.append((title.lower(), abstract))
    half = len(first) // 2
    return [
        write(folder / "a-2025.txt", first[:half], "Mar 3"),
        write(folder / "b-2025.txt", first[half:], "Mar 4"),
        write(folder / "c-2025.txt", day, "Mar 5"),
    ]


def outcome(store: Store) -> tuple[list[Any], list[Any], list[Any]]:
    conn = store.conn
    return (
        conn.execute("SELECT id, paper_id FROM variants ORDER BY id").fetchall(),
        conn.execute(
            "SELECT paper_id, variant_id, origin, title_score, abstract_score, reason"
            " FROM merges ORDER BY variant_id"
        ).fetchall(),
        conn.execute("SELECT * FROM dupe_candidates ORDER BY a, b").fetchall(),
    )


def test_a_day_read_through_the_index_merges_as_a_day_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dumps = days(tmp_path)
    # Words held by more than 12 of these 2,590 titles do not block, as words held by more
    # than 3,000 do not in a library of a million records: blocks stay local.
    config = DedupeConfig(max_block=12)
    results = []
    read: list[int] = []

    def counted(entries: Any, *args: Any, **options: Any) -> Any:
        read.append(len(entries))
        return find_duplicates(entries, *args, **options)

    monkeypatch.setattr(merging, "find_duplicates", counted)
    for index_from in (0, 10**9):
        monkeypatch.setattr(merging, "_INDEX_FROM", index_from)
        with Store(tmp_path / f"library-{index_from}.db") as store:
            for dump in dumps:
                ingest_paths(store, [dump])
                dedupe_library(store, config)
            assert (store.title_index() is not None) == (index_from == 0)
            results.append(outcome(store))
    with_index, whole = results
    assert with_index == whole
    _, merges, candidates = whole
    assert len(merges) > 20 and candidates  # the day's variants did meet their papers
    # With the index, the day's run read its 90 titles and their neighbours, not all 2,590.
    assert read[2] < read[5] // 2


def test_a_title_that_shows_another_text_drops_the_index(tmp_path: Path) -> None:
    """Its abstract (so its opening) may have changed: the next dedupe makes the index again."""
    first, second, _ = days(tmp_path)
    with Store(tmp_path / "library.db") as store:
        ingest_paths(store, [first])
        upto = store.last_variant()
        store.save_title_index(build_index(upto, [], [], [], max_block=10).to_blobs())
        ingest_paths(store, [second])  # new titles: the index holds, they come after it
        store.conn.execute("UPDATE variants SET sighting_id = NULL WHERE rowid = ?", (upto + 1,))
        assert store.title_index() is not None
        store.conn.execute("UPDATE variants SET sighting_id = NULL WHERE rowid = ?", (upto,))
        assert store.title_index() is None


def test_the_index_reads_back_what_it_holds() -> None:
    ids = [variant_hex(n) for n in (1, 2, 3, 0xABCDEF012345)]
    keys = ["deep research agents", "deep sea", "research on agents", "agents everywhere"]
    openings = ["a b c", None, "a b c", "x y z"]
    made = build_index(7, ids, keys, openings, max_block=2)
    back = TitleIndex.from_blobs(made.to_blobs())
    assert back.upto == 7 and back.size == 4
    assert back.count("agents") == 3 and back.count("deep") == 2 and back.count("none") == 0
    assert back.holders(["agents"]).tolist() == []  # too common to block on: no postings
    assert sorted(back.holders(["deep", "sea"]).tolist()) == [1, 2, 2]
    from papertriage.dedupe.index import opening_hash

    assert sorted(back.with_openings([opening_hash("a b c")]).tolist()) == [1, 3]
    assert variant_number(ids[3]) == 0xABCDEF012345


def test_a_title_typod_in_every_word_meets_its_paper_through_the_abstract(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No word of `otwards hpysical nuderstanding` files it with its paper; the abstract's
    opening does, and the index finds the paper by it."""
    monkeypatch.setattr(merging, "_INDEX_FROM", 0)
    config = DedupeConfig(max_block=12)  # as in a big library, common words do not block
    real = corpus()
    paper = real[1234]
    swapped = " ".join(w[1::-1] + w[2:] for w in paper["title"].split())
    with Store(tmp_path / "library.db") as store:
        ingest_paths(
            store,
            [write(tmp_path / "a-2025.txt", [(p["title"], p["abstract"]) for p in real], "Mar 3")],
        )
        dedupe_library(store, config)
        ingest_paths(
            store, [write(tmp_path / "b-2025.txt", [(swapped, paper["abstract"])], "Mar 4")]
        )
        stored = store.title_index()
        assert stored is not None
        part = merging._nearby(
            store, TitleIndex.from_blobs(stored), store.pending_variants(), config
        )
        assert len(part.entries) == 2  # the title and its paper
        dedupe_library(store, config)
        merged = store.conn.execute("SELECT reason FROM merges").fetchall()
    assert [row[0] for row in merged] == ["same abstract (100%), titles 92% alike"]
