"""The bulk pair finder: the same pairs as scoring them one at a time, and a sound filter."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from papertriage.dedupe import DedupeConfig, Entry, find_duplicates
from papertriage.dedupe.blocking import blocks, title_keys
from papertriage.dedupe.pairs import (
    EntryTable,
    PairCodes,
    block_codes,
    dismissed,
    new_codes,
    prefix_pairs,
    tenths,
    thin_versions,
)
from papertriage.dedupe.scoring import Features, judge, series_template
from papertriage.normalize import fold, paper_id

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "papers.jsonl"


@cache
def papers() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines][:250]


def entry(title: str, abstract: str) -> Entry:
    return Entry(id=paper_id(fold(title)), title=title, abstract=abstract)


def look_alikes() -> list[Entry]:
    """Real papers, typo'd copies of some, and namesakes: another name before the same title,
    another paper's abstract (the pairs the filter is for), one of them a typo of the name."""
    rng = random.Random(7)
    real = papers()
    made = {}
    for n, paper in enumerate(real):
        made[paper["title"]] = entry(paper["title"], paper["abstract"])
        if n % 5 == 0:
            typo = paper["title"].replace("e", "a", 1)
            made[typo] = entry(typo, paper["abstract"])
        if n % 3 == 0:
            for name in ("Kalo", "MiraNet", "Tezu-R1"):
                other = real[rng.randrange(len(real))]["abstract"]
                title = f"{name}: {paper['title']}"
                made[title] = entry(title, other)
    made["Kala: " + real[0]["title"]] = entry("Kala: " + real[0]["title"], real[1]["abstract"])
    return list(made.values())


def plain_pairs(
    block: list[int], keys: list[str], markers: list[int], config: DedupeConfig, absorb: bool
) -> set[tuple[int, int, float]]:
    """`block_codes` one pair at a time: what it replaced, as the reference."""
    chosen: list[int] = []
    pairs = set()
    for j in block:
        scores = {k: fuzz.ratio(keys[j], keys[k]) for k in chosen}
        found = [k for k, score in scores.items() if score >= config.candidate_title]
        absorbers = [
            k for k in found if scores[k] >= config.absorb_title and markers[k] == markers[j]
        ]
        if absorb and absorbers:
            found = absorbers
        pairs.update((min(j, k), max(j, k), round(scores[k], 1)) for k in found)
        if not (absorb and absorbers):
            chosen.append(j)
    return pairs


def test_block_codes_find_the_pairs_of_a_plain_loop() -> None:
    entries = look_alikes()
    config = DedupeConfig()
    keys = title_keys(entries)
    table = EntryTable([Features(e, k) for e, k in zip(entries, keys, strict=True)])
    markers = table.markers.tolist()
    groups = blocks(keys, [e.title for e in entries], [e.abstract for e in entries], config)
    groups.append(tuple(range(len(entries))))  # more titles than one scoring round takes
    assert len(entries) > 300
    codes = PairCodes(len(entries))
    counts = []
    for absorb in (False, True):
        found = block_codes(groups, keys, codes, config, table.markers if absorb else None)
        expected: set[tuple[int, int, float]] = set()
        for block in groups:
            expected |= plain_pairs(list(block), keys, markers, config, absorb)
        assert list(codes.decoded(found)) == sorted(expected, key=lambda p: (-p[2], p[0], p[1]))
        counts.append(len(found))
    assert counts[1] < counts[0]  # typo'd copies were compared through their original


def test_dismissed_pairs_are_pairs_judge_drops() -> None:
    entries = look_alikes()
    config = DedupeConfig()
    keys = title_keys(entries)
    features = [Features(e, k) for e, k in zip(entries, keys, strict=True)]
    codes = PairCodes(len(entries))
    found = block_codes([tuple(range(len(entries)))], keys, codes, config)
    dropped = dismissed(found, codes, EntryTable(features), config)
    assert dropped.sum() > len(found) // 3  # namesakes: most pairs
    for (i, j, title), drop in zip(codes.decoded(found), dropped.tolist(), strict=True):
        if drop:
            assert judge(features[i], features[j], title, config) is None, (keys[i], keys[j])
    # `Kala:` / `Kalo:` differ by a typo: a merge whatever the abstracts say, so it is kept.
    kala = next(n for n, e in enumerate(entries) if e.title.startswith("Kala: "))
    kalo = keys.index(fold("Kalo: " + entries[kala].title.removeprefix("Kala: ")))
    kept = {
        (i, j) for (i, j, _), drop in zip(codes.decoded(found), dropped, strict=True) if not drop
    }
    assert (min(kala, kalo), max(kala, kalo)) in kept


def test_new_codes_pair_each_new_entry_with_the_others_of_its_blocks() -> None:
    entries = look_alikes()
    config = DedupeConfig()
    keys = title_keys(entries)
    new = set(range(0, len(entries), 11))
    groups = blocks(keys, [e.title for e in entries], [e.abstract for e in entries], config, new)
    codes = PairCodes(len(entries))
    found = list(codes.decoded(new_codes(groups, keys, new, codes, config)))
    expected = {
        (min(i, j), max(i, j), round(fuzz.ratio(keys[i], keys[j]), 1))
        for block in groups
        for i in block
        if i in new
        for j in block
        if j != i and fuzz.ratio(keys[i], keys[j]) >= config.candidate_title
    }
    assert found and set(found) == expected and len(found) == len(expected)


def with_names() -> list[Entry]:
    """`look_alikes` and, for a few real papers, the name before their colon alone, with their
    abstract (`Kalo`, the namesakes' name, has none of its own)."""
    entries = look_alikes()
    for paper in papers()[::4]:
        name, colon, _ = paper["title"].partition(":")
        if colon:
            entries.append(entry(name, paper["abstract"]))
    entries.append(entry("Kalo", papers()[3]["abstract"]))
    return entries


def plain_prefixes(keys: list[str], cutoff: float) -> set[tuple[int, int, float]]:
    """Every (short, long) pair a word-prefix apart and scoring below the cutoff, by brute force."""
    return {
        (i, j, fuzz.ratio(short, long))
        for i, short in enumerate(keys)
        for j, long in enumerate(keys)
        if long.startswith(short + " ") and fuzz.ratio(short, long) < cutoff
    }


def test_prefix_pairs_are_the_titles_cut_too_short_to_score() -> None:
    entries = with_names()
    keys = title_keys(entries)
    expected = plain_prefixes(keys, DedupeConfig().candidate_title)
    assert len(expected) > 20  # the names, and `kalo` of every `Kalo:` namesake
    assert set(prefix_pairs(keys, DedupeConfig().candidate_title)) == expected
    assert {(i, j) for i, j, _ in prefix_pairs(keys, 30.0)} < {(i, j) for i, j, _ in expected}


def test_new_codes_find_the_cut_titles_of_their_blocks() -> None:
    entries = with_names()
    config = DedupeConfig()
    keys = title_keys(entries)
    new = set(range(0, len(entries), 3))
    groups = blocks(keys, [e.title for e in entries], [e.abstract for e in entries], config, new)
    groups.append(tuple(range(len(entries))))  # new `Kalo:` namesakes share one cut: `kalo`
    codes = PairCodes(len(entries))
    found = set(codes.decoded(new_codes(groups, keys, new, codes, config)))
    shared = {frozenset((i, j)) for block in groups for i in block for j in block}
    expected = {
        (min(i, j), max(i, j), round(score, 1))
        for i, j, score in plain_prefixes(keys, config.candidate_title)
        if (i in new or j in new) and frozenset((i, j)) in shared
    }
    assert len(expected) > 5 and expected <= found
    assert all(t >= config.candidate_title for i, j, t in found - expected)


@given(st.floats(min_value=0, max_value=100), st.integers(1, 400), st.integers(0, 400))
def test_tenths_round_as_python_does(score: float, total: int, distance: int) -> None:
    ratio = 100 * (1 - min(distance, total) / total)  # how rapidfuzz makes a ratio
    values = np.array([score, ratio, round(score, 2), 12.25, 93.75, 0.05])
    assert tenths(values).tolist() == [round(round(float(v), 1) * 10) for v in values]


def versioned() -> list[Entry]:
    """Look-alikes, and real papers in numbered versions (`Title (v3)`, `Part II`) with one
    abstract, some of them typo'd: blocks of version groups and their neighbours."""
    made = look_alikes()
    for n, paper in enumerate(papers()[:60]):
        for version in range(1, 2 + n % 7):
            title = f"{paper['title']} (v{version})"
            if version == 3 and n % 4 == 0:
                title = title.replace("o", "0", 1)  # a typo that is a digit
            made.append(entry(title, paper["abstract"]))
        if n % 10 == 0:
            for part in ("I", "II", "III"):
                made.append(entry(f"{paper['title']}, Part {part}", paper["abstract"]))
    return list({e.id: e for e in made}.values())


def test_series_template_blanks_the_numbers_of_a_title() -> None:
    assert series_template("world model v3") == series_template("world model v17")
    assert series_template("qwen2 5 technical report") == "qwen# # technical report"
    assert series_template("survey part ii") == series_template("survey part iv")
    assert series_template("survey part i") == "survey part #"
    assert series_template("i think") == "i think"  # a word, not a numeral
    assert series_template("world model v3") != series_template("world models v3")


def test_version_groups_score_the_same_pairs_as_every_pair() -> None:
    """The triangle-inequality bound and the abstract filter skip only pairs that fall below
    the cutoff or that `dismissed` drops: the pairs left are the same."""
    entries = versioned()
    config = DedupeConfig()
    keys = title_keys(entries)
    table = EntryTable([Features(e, k) for e, k in zip(entries, keys, strict=True)])
    groups = blocks(keys, [e.title for e in entries], [e.abstract for e in entries], config)
    groups.append(tuple(range(len(entries))))
    codes = PairCodes(len(entries))
    assert len(np.unique(table.versions)) < len(entries) - 100
    for absorb in (False, True):
        markers = table.markers if absorb else None
        every = block_codes(groups, keys, codes, config, markers)
        bounded = block_codes(groups, keys, codes, config, markers, table)
        assert len(bounded) < len(every)  # something was skipped
        kept = every[~dismissed(every, codes, table, config)]
        assert np.array_equal(bounded[~dismissed(bounded, codes, table, config)], kept)


def test_versions_of_one_title_are_proposed_as_a_chain_not_every_pair() -> None:
    """Seven versions of one paper with one abstract: six review pairs that link them all,
    each its version's most alike earlier one, instead of all 21; merges are unchanged."""
    paper = papers()[3]
    versions = [entry(f"{paper['title']} (v{n})", paper["abstract"]) for n in range(1, 8)]
    others = [entry(p["title"], p["abstract"]) for p in papers()[10:40]]
    result = find_duplicates([*others, *versions])
    ids = {e.id for e in versions}
    proposed = [(c.a, c.b) for c in result.candidates if {c.a, c.b} <= ids]
    assert len(proposed) == 6
    assert all("numbers differ" in c.reason for c in result.candidates if c.a in ids)
    linked = {versions[0].id}
    for _ in versions:
        linked |= {x for pair in proposed if linked & set(pair) for x in pair}
    assert linked == ids
    assert result.clusters == []


def test_thin_versions_keeps_other_pairs() -> None:
    """Pairs of versions with other abstracts, or of the same numbers, are not versions."""
    real = papers()
    entries = [
        entry(f"{real[0]['title']} (v1)", real[0]["abstract"]),
        entry(f"{real[0]['title']} (v2)", real[0]["abstract"]),
        entry(f"{real[0]['title']} (v3)", real[1]["abstract"]),  # another abstract
        entry(f"{real[0]['title']} (v3)!", real[0]["abstract"]),  # folds like (v3)
    ]
    keys = title_keys(entries)
    codes = PairCodes(len(entries))
    every = codes.pack(
        np.array([0, 0, 1, 0, 1], dtype=np.int64),
        np.array([1, 2, 2, 3, 3], dtype=np.int64),
        np.array([99.0, 99.0, 99.0, 98.0, 98.0]),
    )
    every.sort()
    thinned = thin_versions(every, codes, keys, [e.abstract for e in entries])
    pairs = {(i, j) for i, j, _ in codes.decoded(thinned)}
    # (0, 1) and one of (0, 3), (1, 3) link the versions; (0, 2) and (1, 2) are not versions
    assert pairs == {(0, 1), (0, 2), (1, 2), (0, 3)}
