"""The tagger: rules and the learned model decided together, and corrections learned from a user."""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from papertriage import library
from papertriage.ingest import ingest_paths
from papertriage.store import Store
from papertriage.tagging import Corrections, Tagger, default_taxonomy, load_taxonomy, tag_paper
from papertriage.tagging.model import Vectorizer, words
from papertriage.tagging.tagger import shipped_model
from papertriage.tagging.training import Labelled, Space, topic_basis, train

from .conftest import CORPUS, DUMPS, Cli


def corpus(limit: int | None = None) -> list[tuple[str, str]]:
    lines = (CORPUS / "papers.jsonl").read_text("utf-8").splitlines()[:limit]
    return [(row["title"], row["abstract"]) for row in map(json.loads, lines)]


def user_taxonomy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, "utf-8")
    return path


def test_rules_mode_is_the_taxonomy_alone() -> None:
    tax = default_taxonomy()
    papers = corpus(400)
    assert Tagger(tax, mode="rules").tag_batch(papers) == [tag_paper(tax, *p) for p in papers]


def test_the_shipped_model_knows_every_default_tag() -> None:
    assert shipped_model().tags == list(default_taxonomy().tags)


def test_a_tag_the_model_has_no_column_for_is_decided_by_its_rules_exactly(tmp_path: Path) -> None:
    path = user_taxonomy(
        tmp_path,
        "[tags.moe]\nrules = [{ regex = 'mixture[\\s-]of[\\s-]experts|moe\\b', weight = 2 }]\n",
    )
    tax = load_taxonomy(path)
    papers = corpus(1500)
    both = Tagger(tax).tag_batch(papers)
    rules = [tag_paper(tax, *paper) for paper in papers]
    assert sum("moe" in tags for tags in rules) >= 5
    assert ["moe" in tags for tags in both] == ["moe" in tags for tags in rules]


def test_the_model_tags_a_phrasing_no_rule_names() -> None:
    tax = default_taxonomy()
    paper = (
        "WebSeeker: Agents That Answer Hard Questions from the Open Web",
        "We train an LLM agent to browse pages, issue search queries and read what it finds over "
        "many steps to answer hard questions, synthesizing a report with citations.",
    )
    assert "deep-research" not in tag_paper(tax, *paper)
    assert "deep-research" in Tagger(tax).tag_batch([paper])[0]


def test_an_implied_tag_is_explained_by_what_implied_it(tmp_path: Path) -> None:
    path = user_taxonomy(
        tmp_path,
        '[tags.lab-notes]\nimplies = ["my-reading"]\n'
        'rules = [{ phrase = "lab notes", weight = 3 }]\n'
        '[tags.my-reading]\nrules = [{ phrase = "never written anywhere", weight = 3 }]\n',
    )
    tagger = Tagger(load_taxonomy(path))
    paper = ("Lab Notes on Agents", "We keep lab notes.")
    assert {"lab-notes", "my-reading"} <= set(tagger.tag_batch([paper])[0])
    scores = {score.tag: score for score in tagger.explain(*paper)}
    assert scores["my-reading"].assigned and scores["my-reading"].via == "implied by lab-notes"


def test_model_mode_and_disabled_model() -> None:
    tax = default_taxonomy()
    papers = corpus(300)
    model_only = Tagger(tax, mode="model").tag_batch(papers)
    assert model_only != Tagger(tax, mode="rules").tag_batch(papers)
    rules_only = tax.model_copy(update={"model": False})
    assert Tagger(rules_only).tag_batch(papers) == Tagger(tax, mode="rules").tag_batch(papers)
    assert Tagger(rules_only).fingerprint() != Tagger(tax).fingerprint()


def test_explain_agrees_with_tag_batch_and_shows_the_model() -> None:
    tax = default_taxonomy()
    tagger = Tagger(tax)
    papers = corpus(200)
    for paper, tags in zip(papers, tagger.tag_batch(papers), strict=True):
        scores = tagger.explain(*paper)
        assert [score.tag for score in scores if score.assigned] == tags
        for score in scores:
            assert score.model is not None and 0 <= score.model <= 1
            assert score.features
            assert (
                (score.evidence is not None and score.evidence >= 0)
                or score.via
                or not (score.assigned)
            )


def test_loading_is_lazy_and_the_fingerprint_needs_no_model() -> None:
    tagger = Tagger(default_taxonomy())
    assert len(tagger.fingerprint()) == 16
    assert tagger._model is None  # the fingerprint hashes the file, it does not load it


def video_papers() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Corpus papers about generating video (by their titles) and papers about something else."""
    video, other = [], []
    for title, abstract in corpus():
        text = f"{title} {abstract}".lower()
        if "text-to-video" in text:
            continue  # the user's one rule; what is learned must reach past it
        if "video generation" in title.lower():
            video.append((title, abstract))
        elif "video" not in text and "image" not in text:
            other.append((title, abstract))
    return video, other


def test_corrections_teach_a_user_tag_to_reach_papers_its_rules_miss(tmp_path: Path) -> None:
    tax = load_taxonomy(
        user_taxonomy(
            tmp_path, '[tags.video-gen]\nrules = [{ phrase = "text-to-video", weight = 3 }]\n'
        )
    )
    video, other = video_papers()
    rng = random.Random(3)
    rng.shuffle(video)
    rng.shuffle(other)
    shown = [(paper, {"video-gen": True}) for paper in video[:15]]
    shown += [(paper, {"video-gen": False}) for paper in other[:15]]
    corrections = Corrections(shown, corpus()[-400:])
    held_video, held_other = video[15:], other[15:1015]

    def rate(tagger: Tagger, papers: list[tuple[str, str]]) -> float:
        return sum("video-gen" in tags for tags in tagger.tag_batch(papers)) / len(papers)

    before, after = Tagger(tax), Tagger(tax, corrections=corrections)
    assert after.learned == ["video-gen"]
    assert rate(before, held_video) == 0
    assert rate(after, held_video) >= 0.6
    assert rate(after, held_other) <= 0.02
    assert after.fingerprint() != before.fingerprint()


def test_corrections_need_a_few_decisions_and_teach_only_the_users_own_tags(
    tmp_path: Path,
) -> None:
    tax = load_taxonomy(
        user_taxonomy(tmp_path, '[tags.mine]\nrules = [{ phrase = "x", weight = 3 }]\n')
    )
    papers = corpus(3)
    few = Corrections([(paper, {"mine": True}) for paper in papers[:2]], [])
    enough = Corrections([(paper, {"mine": True, "survey": True}) for paper in papers], [])
    assert Tagger(tax, corrections=few).fingerprint() == Tagger(tax).fingerprint()
    assert Tagger(tax, corrections=enough).learned == ["mine"]


def test_training_learns_labels_from_text() -> None:
    texts = corpus(600)
    labelled = [
        Labelled(title, abstract, frozenset({"video"} if "video" in title.lower() else set()))
        for title, abstract in texts
    ]
    vectorizer = Vectorizer.fit(texts, min_df=2)
    basis = topic_basis(vectorizer.transform(texts).dense()[:, : vectorizer.n_words], 8)
    model = train(labelled, Space(vectorizer, basis), ["video"])
    predicted = model.logits(vectorizer.transform(texts))[:, 0] >= 0
    truth = np.array(["video" in paper.tags for paper in labelled])
    assert (predicted == truth).mean() >= 0.97


@given(st.lists(st.tuples(st.text(max_size=80), st.text(max_size=300)), max_size=8))
def test_vectors_are_unit_length_or_empty(papers: list[tuple[str, str]]) -> None:
    vectorizer = shipped_model().vectorizer
    batch = vectorizer.transform(papers)
    assert len(batch.indptr) == len(papers) + 1
    for row in range(len(papers)):
        values = batch.data[batch.indptr[row] : batch.indptr[row + 1]]
        assert len(values) == 0 or abs(float((values**2).sum()) - 1) < 1e-4


@given(st.text(max_size=200))
def test_words_are_lower_case_ascii_runs(text: str) -> None:
    for word in words(text):
        assert word.isascii() and word.isalnum() and word == word.lower()


def test_a_batch_is_read_as_each_paper_alone() -> None:
    vectorizer = shipped_model().vectorizer
    papers = corpus(20)
    together = vectorizer.transform(papers)
    for row, paper in enumerate(papers):
        alone = vectorizer.transform([paper])
        start, end = together.indptr[row], together.indptr[row + 1]
        assert list(together.indices[start:end]) == list(alone.indices)
        assert np.allclose(together.data[start:end], alone.data)


def reference_vector(vectorizer: Vectorizer, title: str, abstract: str) -> dict[int, float]:
    """A paper's tf-idf vector the plain way: count its known words, then its title's again."""
    counts: Counter[int] = Counter()
    for text, offset in ((f"{title} {abstract}", 0), (title, vectorizer.n_words)):
        for word in words(text):
            if (feature := vectorizer.ids[word.encode()]) >= 0:
                counts[feature + offset] += 1
    values = {f: (1 + math.log(n)) * float(vectorizer.idf[f]) for f, n in counts.items()}
    norm = math.sqrt(sum(value * value for value in values.values())) or 1.0
    return {feature: value / norm for feature, value in values.items()}


def assert_vectors_are_plain_counts(papers: list[tuple[str, str]]) -> None:
    vectorizer = shipped_model().vectorizer
    batch = vectorizer.transform(papers)
    for row, paper in enumerate(papers):
        start, end = batch.indptr[row], batch.indptr[row + 1]
        expected = reference_vector(vectorizer, *paper)
        assert batch.indices[start:end].tolist() == sorted(expected)
        assert np.allclose(batch.data[start:end], [expected[f] for f in sorted(expected)])


@given(st.lists(st.tuples(st.text(max_size=60), st.text(max_size=200)), max_size=6))
@example([("", ""), ("zzpapertriagesepzz Agents", "é_tool use"), ("Deep", "")])
def test_vectors_equal_a_plain_count(papers: list[tuple[str, str]]) -> None:
    assert_vectors_are_plain_counts(papers)


def test_vectors_equal_a_plain_count_on_real_papers() -> None:
    assert_vectors_are_plain_counts(corpus(300))


# --- through the CLI ---------------------------------------------------------------------------


def test_tag_decisions_teach_the_library_after_retag(cli: Cli, tmp_path: Path) -> None:
    path = user_taxonomy(
        tmp_path, '[tags.ssm-like]\nrules = [{ phrase = "state space model", weight = 3 }]\n'
    )
    assert cli("ingest", str(DUMPS), "--taxonomy", str(path)).exit_code == 0
    papers = json.loads(cli("list", "--format", "json").stdout)
    mamba = [p for p in papers if "mamba" in str(p["title"]).lower()]
    survey = next(p for p in papers if "survey" in str(p["title"]).lower() and p not in mamba)
    assert len(mamba) == 2
    for paper, change in [*((p, "+ssm-like") for p in mamba), (survey, "-ssm-like")]:
        assert cli("tag", str(paper["id"]), change, "--taxonomy", str(path)).exit_code == 0
    result = cli("tags", "explain", str(mamba[0]["id"]), "--taxonomy", str(path))
    assert result.exit_code == 0
    assert "learned from your own tag decisions" in result.stdout
    assert cli("retag", "--taxonomy", str(path)).exit_code == 0


@pytest.mark.parametrize("mode", ["rules", "model", "both"])
def test_tags_eval_measures_each_side(cli: Cli, mode: str) -> None:
    cli("ingest", str(DUMPS))
    gold = CORPUS.parent / "gold" / "seed-tags.jsonl"
    result = cli("tags", "eval", str(gold), "--mode", mode, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["evaluated"] == 146
    assert 0.8 <= report["micro_f1"] <= 1.0


def test_worker_processes_tag_as_one_process_does(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_paths(store, sorted(DUMPS.glob("*.txt")))
    tagger = library.tagger(store, default_taxonomy())
    monkeypatch.setattr(library, "_POOL_AT", 10**9)
    assert library.tag_pending(store, tagger, everything=True) == 146
    alone = {paper: store.paper_tags(paper) for paper, _, _ in store.papers_to_tag(None, 500)}
    monkeypatch.setattr(library, "_POOL_AT", 0)
    monkeypatch.setattr(library, "_TAG_BATCH", 20)  # several batches in flight
    monkeypatch.setattr(library, "usable_cores", lambda: 2)
    assert library.tag_pending(store, tagger, everything=True) == 146
    pooled = {paper: store.paper_tags(paper) for paper, _, _ in store.papers_to_tag(None, 500)}
    assert pooled == alone and any(alone.values())
