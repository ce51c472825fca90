"""The deduper on the hard cases of issue 3, on real corpus text where it matters."""

from __future__ import annotations

import gc
import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from papertriage.dedupe import (
    DedupeConfig,
    Entry,
    abstract_shingles,
    abstract_similarity,
    candidate_pairs,
    collector_paused,
    find_duplicates,
    score_pair,
)
from papertriage.dedupe.scoring import (
    ABSTRACT_WORD,
    abstract_sketch,
    abstract_words,
    digit_words,
)
from papertriage.ingest import ingest_paths
from papertriage.merging import dedupe_library
from papertriage.normalize import fold, paper_id, strip_markup
from papertriage.store import Store

from .conftest import DUMPS

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


@cache
def corpus(name: str) -> list[dict[str, Any]]:
    with (CORPUS / name).open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def entry(title: str, abstract: str = "") -> Entry:
    return Entry(id=paper_id(fold(title)), title=title, abstract=abstract)


def real(title: str) -> Entry:
    """The corpus paper with exactly this title."""
    paper = next(p for p in corpus("papers.jsonl") if p["title"] == title)
    return entry(paper["title"], paper["abstract"])


def abstract_of(index: int) -> str:
    return str(corpus("papers.jsonl")[index]["abstract"])


def merged(entries: list[Entry], **options: Any) -> list[list[str]]:
    return [cluster.ids for cluster in find_duplicates(entries, **options).clusters]


def test_every_variants_pair_merges() -> None:
    for pair in corpus("variants.jsonl"):
        a = entry(pair["title_a"], pair["abstract_a"])
        b = entry(pair["title_b"], pair["abstract_b"])
        if a.id != b.id:  # same key: already one entry
            assert merged([a, b]) == [[a.id, b.id]], pair["arxiv_id"]


def test_formula_lost_from_the_name_merges() -> None:
    pair = next(p for p in corpus("variants.jsonl") if p["title_a"] != p["title_b"])
    score = score_pair(entry(pair["title_a"], pair["abstract_a"]), entry(pair["title_b"], ""))
    assert score is not None and score.decision == "merge"


def test_the_real_corpus_has_no_duplicates() -> None:
    papers = corpus("papers.jsonl")
    result = find_duplicates([entry(p["title"], p["abstract"]) for p in papers])
    assert result.clusters == []
    assert all(pair.decision == "review" for pair in result.candidates)


def test_papers_sharing_a_name_never_merge() -> None:
    prisms = [
        entry(p["title"], p["abstract"])
        for p in corpus("papers.jsonl")
        if fold(p["title"]).startswith("prism ")
    ]
    assert len(prisms) >= 9
    assert merged(prisms) == []


def name_only(title: str) -> str:
    """The name before a title's colon."""
    return title.partition(":")[0]


def cut(abstract: str, share: float) -> str:
    words = abstract.split()
    return " ".join(words[: int(len(words) * share)])


@pytest.mark.parametrize(
    ("shown", "share"),
    [
        ("{}", 1.0),
        ("{}", 0.5),
        ("{}:", 0.8),
        ("{}.", 1.0),
        (r"$\textbf{{{}}}$", 0.6),
        (r"\textsc{{{}}}:", 1.0),
    ],
)
@pytest.mark.parametrize(
    "title",
    [
        "SurveyX: Academic Survey Automation via Large Language Models",
        "WorldCompass: Reinforcement Learning for Long-Horizon World Models",
    ],
)
def test_a_name_only_title_with_the_same_abstract_merges(
    title: str, shown: str, share: float
) -> None:
    """Issue 17: a title cut back to its name is the same paper when the abstract is."""
    full = real(title)
    short = entry(shown.format(name_only(title)), cut(full.abstract, share))
    assert merged([full, short]) == [[full.id, short.id]]
    assert merged([short, full]) == [[short.id, full.id]]
    assert merged([full, short], new_ids=[short.id]) == [[full.id, short.id]]
    assert merged([short, full], new_ids=[full.id]) == [[short.id, full.id]]


def test_a_name_only_title_joins_its_namesake_with_its_abstract_alone() -> None:
    prisms = [
        entry(p["title"], p["abstract"])
        for p in corpus("papers.jsonl")
        if fold(p["title"]).startswith("prism ")
    ]
    for at, paper in enumerate(prisms):
        short = entry("PRISM", cut(paper.abstract, 0.6))
        assert merged([*prisms, short]) == [[paper.id, short.id]], paper.title
        assert find_duplicates([*prisms, short]).candidates == [], at
    # Without an abstract, or with another paper's, a name alone is no paper.
    assert merged([*prisms, entry("PRISM")]) == []
    assert merged([*prisms, entry("PRISM", abstract_of(0))]) == []


def test_versions_do_not_merge() -> None:
    qwen = [real("Qwen2.5 Technical Report"), real("Qwen3 Technical Report")]
    assert merged(qwen) == []
    same_abstract = [
        entry("Foo v1: A Model", abstract_of(5)),
        entry("Foo v2: A Model", abstract_of(5)),
    ]
    assert merged(same_abstract) == []


def test_parts_do_not_merge_even_with_one_abstract() -> None:
    title = "Scaling Laws for Sparse Mixture of Experts Language Models"
    parts = [entry(f"{title}, Part I", abstract_of(7)), entry(f"{title}, Part II", abstract_of(7))]
    result = find_duplicates(parts)
    assert result.clusters == []
    assert [pair.decision for pair in result.candidates] == ["review"]


def test_a_generic_short_title_does_not_pull_in_a_named_paper() -> None:
    survey = entry("A Survey of Mamba", abstract_of(1))
    mamba = entry(
        "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", abstract_of(2)
    )
    assert score_pair(survey, mamba) is None
    assert find_duplicates([survey, mamba]) == find_duplicates([])


def test_near_equal_titles_with_different_abstracts_are_only_proposed() -> None:
    ultra = real(
        "Nemotron 3 Ultra: Open, Efficient Mixture-of-Experts Hybrid Mamba-Transformer Model for "
        "Agentic Reasoning"
    )
    superb = real(
        "Nemotron 3 Super: Open, Efficient Mixture-of-Experts Hybrid Mamba-Transformer Model for "
        "Agentic Reasoning"
    )
    result = find_duplicates([ultra, superb])
    assert result.clusters == []
    assert [pair.decision for pair in result.candidates] == ["review"]


def test_other_names_on_one_subtitle_with_different_abstracts_are_two_papers() -> None:
    coco = real("CoCo: Code as CoT for Text-to-Image Preview and Rare Concept Generation")
    draco = real("DraCo: Draft as CoT for Text-to-Image Preview and Rare Concept Generation")
    benches = [
        entry(f"{name}: A Benchmark for Long-Horizon Web Agents", abstract_of(index))
        for index, name in enumerate(["KaloBench", "Tezu", "Vone Arena"], start=20)
    ]
    for papers in ([coco, draco], benches):
        result = find_duplicates(papers)
        assert result.clusters == [] and result.candidates == []
    # The same names with one abstract are one paper renamed; kin names stay for review.
    renamed = [entry(e.title, abstract_of(20)) for e in benches[:2]]
    assert merged(renamed) == [[e.id for e in renamed]]


def test_a_revised_title_with_the_same_abstract_merges() -> None:
    paper = corpus("papers.jsonl")[100]
    revised = "Towards " + paper["title"].replace(" for ", " in ", 1) + " at Scale"
    a, b = entry(paper["title"], paper["abstract"]), entry(revised, paper["abstract"][:600])
    assert merged([a, b]) == [[a.id, b.id]]


def test_a_typo_merges_without_the_abstract() -> None:
    a = entry("Scaling Rectified Flow Transformers for High-Resolution Image Synthesis")
    b = entry("Scaling Rectifed Flow Transformers for High-Resolution Image Synthesis")
    score = score_pair(a, b)
    assert score is not None and score.decision == "merge"
    short = score_pair(entry("A Survey of MoMa"), entry("A Survey of MoA"))
    assert short is None or short.decision == "review"


def chain() -> tuple[Entry, Entry, Entry]:
    """B is a typo of C; A is B revised (same abstract), unlike C in title and abstract."""
    title = "Learning Transferable Visual Models From Natural Language Supervision"
    a = entry("Contrastive Pretraining of Visual Models With Language Supervision", abstract_of(3))
    b = entry(title, abstract_of(3))
    c = entry(title.replace("Transferable", "Transferrable"), abstract_of(4))
    return a, b, c


def test_chaining_is_guarded() -> None:
    a, b, c = chain()
    assert score_pair(a, b) is not None and score_pair(a, b).decision == "merge"  # type: ignore[union-attr]
    assert score_pair(b, c) is not None and score_pair(b, c).decision == "merge"  # type: ignore[union-attr]
    assert score_pair(a, c) is None
    result = find_duplicates([a, b, c])
    assert [cluster.ids for cluster in result.clusters] == [[b.id, c.id]]
    refused = [pair for pair in result.candidates if {pair.a, pair.b} == {a.id, b.id}]
    assert refused and "chain" in refused[0].reason


def test_distinct_pairs_are_never_merged_nor_proposed() -> None:
    a, b, c = chain()
    result = find_duplicates([a, b, c], distinct=[(c.id, b.id)])
    assert [cluster.ids for cluster in result.clusters] == [[a.id, b.id]]
    assert all({pair.a, pair.b} != {b.id, c.id} for pair in result.candidates)


def test_incremental_only_looks_at_new_entries() -> None:
    a, b, c = chain()
    assert merged([a, b, c], new_ids=[a.id]) == [[a.id, b.id]]
    assert merged([b, c], new_ids=[]) == []


def test_cluster_keeps_entry_order_and_lowest_score() -> None:
    paper = corpus("papers.jsonl")[200]
    title = paper["title"]
    variants = [entry(title, paper["abstract"]), entry(title + " Revisited", paper["abstract"])]
    variants.insert(0, entry(title.replace(" ", "  ").lower() + "s", paper["abstract"]))
    result = find_duplicates(variants)
    assert [cluster.ids for cluster in result.clusters] == [[v.id for v in variants]]
    cluster = result.clusters[0]
    assert cluster.score == min(p.title_score for p in cluster.pairs) or cluster.score <= 100
    assert all(pair.a < pair.b for pair in cluster.pairs)


def test_output_is_deterministic_and_has_no_self_pairs() -> None:
    papers = corpus("papers.jsonl")[:1500]
    entries = [entry(p["title"], p["abstract"]) for p in papers]
    entries += [entry(p["title"] + "s", p["abstract"]) for p in papers[::7]]
    first, second = find_duplicates(entries), find_duplicates(entries)
    assert first == second
    pairs = [p for c in first.clusters for p in c.pairs] + first.candidates
    assert all(pair.a < pair.b for pair in pairs)
    assert score_pair(entries[0], entries[0]) is None


def test_blocking_finds_what_all_pairs_finds() -> None:
    papers = corpus("papers.jsonl")[:1200]
    entries = [entry(p["title"], p["abstract"]) for p in papers]
    entries += [entry("The " + p["title"].replace("e", "3", 1), p["abstract"]) for p in papers[::5]]
    config = DedupeConfig()
    exhaustive = candidate_pairs(entries, config, exhaustive=True)
    blocked = candidate_pairs(entries, config)
    assert len(exhaustive) > 200
    assert set(exhaustive) <= set(blocked)


def test_titles_typoed_in_every_word_meet_through_their_abstract() -> None:
    """No title word is shared, so only the abstract's opening files them in one block."""
    paper = real("Neural Metamorphosis")
    cut = paper.abstract[: len(paper.abstract) // 2].rsplit(" ", 1)[0]
    a = entry("Neeural Menamorphosis", paper.abstract)
    b = entry("Neurol Metamorphhosis", cut.replace(" the ", r" \textbf{the} ", 1))
    others = [entry(p["title"], p["abstract"]) for p in corpus("papers.jsonl")[:300]]
    assert tuple(sorted((a.id, b.id))) in candidate_pairs([a, *others, b])
    assert merged([a, b]) == [[a.id, b.id]]


titles = st.sampled_from([p["title"] for p in corpus("papers.jsonl")[:300]])


@settings(max_examples=60, deadline=None)
@given(titles, titles, st.sampled_from(["", "s", " v2", "Towards "]))
def test_scores_are_symmetric(first: str, second: str, change: str) -> None:
    a = entry(first, abstract_of(0))
    b = entry(change + second if change == "Towards " else second + change, abstract_of(0))
    assert score_pair(a, b) == score_pair(b, a)


def typo_variants(title: str, count: int) -> list[str]:
    """`count` distinct one- or two-letter typos of `title`, made deterministically."""
    made: list[str] = []
    for n in range(len(title)):
        for m in (n + 7, n + 13):
            if len(made) == count:
                return made
            chars = list(title)
            for at in (n, m % len(title)):
                if chars[at].isalpha():
                    chars[at] = "x" if chars[at] != "x" else "y"
            variant = "".join(chars)
            if variant != title and fold(variant) not in {fold(v) for v in made}:
                made.append(variant)
    return made


def test_a_paper_seen_many_times_is_one_cluster_with_its_exact_lowest_score() -> None:
    paper = corpus("papers.jsonl")[300]
    other = corpus("papers.jsonl")[301]
    entries = [entry(paper["title"], paper["abstract"])]
    entries += [entry(t, paper["abstract"]) for t in typo_variants(paper["title"], 40)]
    entries += [entry(other["title"], other["abstract"])]
    entries += [entry(t, other["abstract"]) for t in typo_variants(other["title"], 10)]
    result = find_duplicates(entries)
    groups = sorted(sorted(cluster.ids) for cluster in result.clusters)
    expected = sorted([sorted(e.id for e in entries[:41]), sorted(e.id for e in entries[41:])])
    assert groups == expected
    for cluster in result.clusters:
        members = [e for e in entries if e.id in cluster.ids]
        lowest = min(
            round(fuzz.ratio(fold(p.title), fold(q.title)), 1)
            for n, p in enumerate(members)
            for q in members[n + 1 :]
        )
        assert cluster.score == lowest
        assert len(cluster.pairs) == len(cluster.ids) - 1  # the edges that joined it


def test_the_abstract_sketch_never_proves_a_conflict_that_is_not_there() -> None:
    papers = corpus("papers.jsonl")
    config = DedupeConfig()
    abstracts = [p["abstract"] for p in papers[:60]]
    abstracts += [a[: len(a) // 4] for a in abstracts[:20]]  # cut short: contained in full
    for n, first in enumerate(abstracts):
        for second in abstracts[n + 1 :]:
            exact = abstract_similarity(
                abstract_shingles(first), abstract_shingles(second), config.min_abstract_words
            )
            (size_a, bits_a) = abstract_sketch(abstract_shingles(first))
            (size_b, bits_b) = abstract_sketch(abstract_shingles(second))
            size, bits, other = (
                (size_a, bits_a, bits_b) if size_a <= size_b else (size_b, bits_b, bits_a)
            )
            upper = round(100.0 * (size - (bits & ~other).bit_count()) / size, 1)
            assert exact is None or upper >= exact


def test_incremental_finds_what_a_full_run_finds_for_the_new_entries() -> None:
    papers = corpus("papers.jsonl")[:800]
    old = [entry(p["title"], p["abstract"]) for p in papers]
    new = [entry(p["title"].replace("e", "3", 1) + "s", p["abstract"]) for p in papers[::9]]
    new_ids = {e.id for e in new}
    full = find_duplicates(old + new)
    incremental = find_duplicates(old + new, new_ids=new_ids)
    assert sorted(c.ids for c in incremental.clusters) == sorted(
        c.ids for c in full.clusters if new_ids & set(c.ids)
    )


def test_entries_that_bring_their_folded_title_dedupe_the_same() -> None:
    """The library hands its stored keys over, so that a big run need not fold every title."""
    papers = corpus("papers.jsonl")[:1500]
    entries = [entry(p["title"], p["abstract"]) for p in papers]
    entries += [entry(p["title"].upper() + "s", p["abstract"]) for p in papers[::7]]
    keyed = [replace(e, key=fold(e.title)) for e in entries]
    assert find_duplicates(keyed) == find_duplicates(entries)
    # The key is what is compared: two unrelated titles under one key are one title.
    twins = [entry("Alpha Paper About Cats", "x"), entry("Beta Study Of Dogs", "y")]
    same_key = [replace(e, key="one shared key") for e in twins]
    assert merged(same_key) == [[twins[0].id, twins[1].id]]


@settings(max_examples=300, deadline=None)
@given(st.text() | st.sampled_from([p["abstract"] for p in corpus("papers.jsonl")[:200]]))
def test_abstract_words_shortcut_reads_as_the_pattern_does(text: str) -> None:
    expected = ABSTRACT_WORD.findall(strip_markup(text).casefold())
    assert abstract_words(text) == expected
    shingles = abstract_shingles(text)
    assert len(shingles) <= max(0, len(expected) - 2)
    assert list(shingles) == sorted(set(shingles.tolist()))


def test_the_collector_is_paused_for_a_dedupe_and_restored_after(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_paths(store, [DUMPS])
    seen: list[bool] = []
    texts = store.variant_texts
    monkeypatch.setattr(store, "variant_texts", lambda: seen.append(gc.isenabled()) or texts())
    assert gc.isenabled()
    assert dedupe_library(store).merged == 0  # the seed dumps repeat titles letter for letter
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(RuntimeError), collector_paused():
            assert not gc.isenabled()
            raise RuntimeError("a failing run")
        assert not gc.isenabled()  # left as it was: off
    finally:
        gc.enable()


@given(st.text(alphabet=st.sampled_from("ab1٣² \t　-."), max_size=40))
def test_digit_words_are_the_words_holding_a_decimal_digit(text: str) -> None:
    expected = tuple(word for word in text.split() if any(ch.isdecimal() for ch in word))
    assert digit_words(text) == expected


def test_digit_words_of_a_title() -> None:
    assert digit_words("qwen2 5 vl a 3d model") == ("qwen2", "5", "3d")
    assert digit_words("a title without numbers") == ()
