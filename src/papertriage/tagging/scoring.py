"""Scoring a paper against a taxonomy: which tags it gets, and the evidence for each.

A paper's score for a tag is the sum of the weights of the rules that match its title or
abstract, a title match counting `title_factor` times; the tag is assigned at its threshold,
and an assigned tag assigns the tags it `implies`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from papertriage.tagging.matching import prepare_text
from papertriage.tagging.taxonomy import Taxonomy

FieldName = Literal["title", "abstract"]


class RuleHit(BaseModel):
    """One rule that matched one field of a paper, with what it added to the score."""

    rule: str
    field: FieldName
    weight: float
    matched: str


class TagScore(BaseModel):
    """How a tag was decided for one paper: the evidence, the sum, and the bar it had to reach."""

    tag: str
    score: float
    threshold: float
    assigned: bool
    hits: list[RuleHit]
    via: str | None = None
    model: float | None = None
    """The learned model's probability for the tag, when it has a say."""
    evidence: float | None = None
    """Rules and model combined; the tag is assigned at 0 or more."""
    features: list[tuple[str, float]] = []
    """The words that moved the model most, with their share of its log-odds."""


def implied(tax: Taxonomy, assigned: Iterable[str]) -> dict[str, str]:
    """Tags brought in by `implies` (transitively), each with the tag that brought it."""
    via: dict[str, str] = {}
    stack = list(assigned)
    seen = set(stack)
    while stack:
        source = stack.pop()
        for target in tax.tags[source].implies:
            if target not in seen and tax.tags[target].enabled:
                seen.add(target)
                via[target] = source
                stack.append(target)
    return via


def tag_paper(tax: Taxonomy, title: str, abstract: str) -> list[str]:
    """The tags a paper gets, in taxonomy order. The fast path: no explanations are built."""
    assigned = tax.scorer().assigned(prepare_text(title), prepare_text(abstract))
    assigned.update(implied(tax, assigned))
    return [name for name in tax.tags if name in assigned]


def score_paper(tax: Taxonomy, title: str, abstract: str) -> list[TagScore]:
    """Every enabled tag with any evidence or assignment, in taxonomy order, with its rule hits.

    What `tags explain` shows; `tag_paper` gives the same assignments faster.
    """
    texts: tuple[tuple[FieldName, str], ...] = (
        ("title", prepare_text(title)),
        ("abstract", prepare_text(abstract)),
    )
    scores: dict[str, TagScore] = {}
    for name, threshold, rules in tax.plan():
        hits = []
        for rule, matcher, title_weight, abstract_weight in rules:
            for (field, text), weight in zip(texts, (title_weight, abstract_weight), strict=True):
                if weight and (matched := matcher.search(text)) is not None:
                    hits.append(
                        RuleHit(rule=rule.pattern, field=field, weight=weight, matched=matched)
                    )
        if hits:
            total = round(sum(hit.weight for hit in hits), 6)
            scores[name] = TagScore(
                tag=name, score=total, threshold=threshold, assigned=total >= threshold, hits=hits
            )
    assigned = [name for name, score in scores.items() if score.assigned]
    for target, source in implied(tax, assigned).items():
        score = scores.setdefault(
            target,
            TagScore(
                tag=target, score=0.0, threshold=tax.tags[target].threshold, assigned=False, hits=[]
            ),
        )
        score.assigned = True
        score.via = f"implied by {source}"
    return [scores[name] for name in tax.tags if name in scores]
