"""Normalisation: the rules that decide when two titles are one paper, and their invariants."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papertriage.normalize import _fold_unicode, fold, paper_id, title_key


@pytest.mark.parametrize(
    ("title", "same_as"),
    [
        ("MAMBA:  Linear-Time Sequence Modeling", "mamba linear time sequence modeling"),
        ("Mamba — Linear–Time “Sequence” Modeling", "mamba linear time sequence modeling"),
        ("$\\tau$-bench: Tool Use", "τ bench tool use"),
        ("τ-Bench: tool use", "τ bench tool use"),
        ("<i>Attention</i> Is All You Need", "attention is all you need"),
        ("Café Naïve Résumé", "cafe naive resume"),
        ("ﬁne-tuning\tLLMs\u00a0at scale", "fine tuning llms at scale"),
        ("snake_case and 100% \\& more", "snake case and 100 more"),
    ],
)
def test_fold_rules(title: str, same_as: str) -> None:
    assert fold(title) == same_as


ascii_text = st.text(alphabet=st.characters(max_codepoint=127))


@settings(max_examples=500, deadline=None)
@given(ascii_text)
def test_the_ascii_shortcut_folds_exactly_like_the_unicode_path(text: str) -> None:
    assert fold(text) == _fold_unicode(text)


@settings(max_examples=500, deadline=None)
@given(st.text() | ascii_text)
def test_fold_is_idempotent_and_tidy(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == " ".join(folded.split())


def test_ids_are_short_stable_hex() -> None:
    key = title_key("Mamba: Linear-Time Sequence Modeling")
    assert paper_id(key) == paper_id(title_key("mamba — linear time sequence modeling"))
    assert len(paper_id(key)) == 12 and int(paper_id(key), 16) >= 0
