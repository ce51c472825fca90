"""The tagger: the taxonomy's rules and the learned model, decided together.

For each tag, `logit + RULE_WEIGHT * clip(rule score / threshold, -1, 1.5) >= 0` assigns it
(`Tagger.evidence`). The model's log-odds carry what labelled papers taught; the rules add their
evidence, so a strong rule hit assigns a tag the model doubts, and a confident model assigns a
tag no rule names. A tag the model has no column for (a user's own tag) starts at
`NO_MODEL_LOGIT`, which makes the rules decide it exactly at their threshold, until the user's
decisions teach a correction (`Corrections`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

from papertriage.tagging.matching import prepare_text
from papertriage.tagging.model import (
    NO_MODEL_LOGIT,
    RULE_WEIGHT,
    LinearModel,
    PaperTokens,
    fit_logistic,
    paper_tokens,
)
from papertriage.tagging.scoring import TagScore, implied, score_paper
from papertriage.tagging.taxonomy import Taxonomy, default_taxonomy

if TYPE_CHECKING:
    from concurrent.futures import Future

    import numpy as np
    from numpy.typing import NDArray

Mode = Literal["both", "rules", "model"]
Text = tuple[str, str]

MIN_DECISIONS = 3
"""A tag's corrections are learned once the user has decided it on this many papers."""
BACKGROUND_WEIGHT = 0.1
"""How much a library paper the user did not decide counts, against 1 for a decided one: it
keeps a correction local to what the user showed, instead of moving the whole library."""
CORRECTION_L2 = 3e-4

_MODEL_FILE = ("data", "model.npz")


@cache
def shipped_model() -> LinearModel:
    """The model that ships in the package (`tagging/data/model.npz`), loaded once."""
    with resources.files("papertriage.tagging").joinpath(*_MODEL_FILE).open("rb") as source:
        return LinearModel.load(source)


@cache
def shipped_digest() -> str:
    """A hash of the shipped model's file: what a library's tags depend on, without loading it."""
    data = resources.files("papertriage.tagging").joinpath(*_MODEL_FILE).read_bytes()
    return hashlib.sha256(data).hexdigest()[:16]


def learnable(taxonomy: Taxonomy, decided: Sequence[tuple[Text, Mapping[str, bool]]]) -> list[str]:
    """The user's own tags decided on enough papers to learn a correction for.

    Not the default tags: the shipped model learned them from over a thousand labelled papers,
    and a user's corrections, a sample of its errors only, made them worse in
    `benchmarks/tagging_learning.py` (the decisions themselves still win on their papers).
    """
    shipped = set(default_taxonomy().tags)
    counts = {tag.name: 0 for tag in taxonomy.enabled() if tag.name not in shipped}
    for _, decisions in decided:
        for name in decisions:
            if name in counts:
                counts[name] += 1
    return [name for name, count in counts.items() if count >= MIN_DECISIONS]


@dataclass(frozen=True)
class Corrections:
    """What the user decided, to learn from: papers with their `tag: assigned` decisions, and
    a sample of the library's other papers (the background) that keeps corrections local."""

    decided: Sequence[tuple[Text, Mapping[str, bool]]]
    background: Sequence[Text]

    def digest(self) -> str:
        """What the corrections depend on: the decisions and their papers' text (the
        background is a sample that a new paper may shift, not a reason to retag)."""
        hasher = hashlib.sha256()
        for (title, abstract), decisions in self.decided:
            hasher.update(f"{title}\0{abstract}\0{sorted(decisions.items())}\n".encode())
        return hasher.hexdigest()[:16]


class Tagger:
    """Decides a paper's tags from a taxonomy, the shipped model and the user's corrections.

    `mode` keeps one side only, for measuring: `rules` is the taxonomy alone (as before the
    model), `model` the model alone (tags it has no column for fall back to their rules).
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        model: LinearModel | None = None,
        corrections: Corrections | None = None,
        mode: Mode = "both",
    ) -> None:
        self.taxonomy = taxonomy
        self.mode: Mode = mode if taxonomy.model else "rules"
        self.names = [name for name, _, _ in taxonomy.plan()]
        self.thresholds = [threshold for _, threshold, _ in taxonomy.plan()]
        self._model = model
        self._corrections = corrections if self.mode == "both" else None
        self.learned = (
            learnable(taxonomy, self._corrections.decided) if self._corrections is not None else []
        )
        self._weights: NDArray[np.float32] | None = None
        self._bias: NDArray[np.float32] | None = None
        self._known: list[bool] = [False] * len(self.names)

    @property
    def model(self) -> LinearModel | None:
        """The learned model, loaded on first use (start-up stays fast for other commands)."""
        if self.mode == "rules":
            return None
        if self._model is None:
            self._model = shipped_model()
        if self._weights is None:
            self._build_weights(self._model)
        return self._model

    def _build_weights(self, model: LinearModel) -> None:
        import numpy as np

        columns = [model.tags.index(name) if name in model.tags else -1 for name in self.names]
        weights = np.zeros((model.weights.shape[0], len(self.names)), dtype=np.float32)
        bias = np.full(len(self.names), NO_MODEL_LOGIT, dtype=np.float32)
        for position, column in enumerate(columns):
            if column >= 0:
                weights[:, position] = model.weights[:, column]
                bias[position] = model.bias[column]
                self._known[position] = True
        self._weights, self._bias = weights, bias
        if self._corrections is not None and self.learned:
            self._learn(model, self._corrections)

    def fingerprint(self) -> str:
        """A hash of everything that decides tags, so a library knows when to retag."""
        parts = [self.taxonomy.fingerprint(), self.mode]
        if self.mode != "rules":
            parts.append(self._model.digest() if self._model is not None else shipped_digest())
        if self.learned and self._corrections is not None:
            parts.append(self._corrections.digest())
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]

    # --- deciding -----------------------------------------------------------------------------

    def _rule_scores(self, papers: Sequence[Text], tokens: Sequence[PaperTokens]) -> list[float]:
        """Every paper's rule scores, flat (papers x planned tags)."""
        scores = self.taxonomy.scorer().scores
        out: list[float] = []
        for (title, abstract), (title_tokens, abstract_tokens) in zip(papers, tokens, strict=True):
            words = (
                title_tokens if _tokens_are_words(title) else None,
                abstract_tokens if _tokens_are_words(abstract) else None,
            )
            out += scores(prepare_text(title), prepare_text(abstract), words)
        return out

    def _logits(
        self, papers: Sequence[Text], tokens: Sequence[PaperTokens] | None = None
    ) -> NDArray[np.float32] | None:
        model = self.model
        if model is None:
            return None
        return model.logits(model.vectorizer.transform(papers, tokens), self._weights, self._bias)

    def evidence(self, papers: Sequence[Text]) -> NDArray[np.float32]:
        """Each paper's combined evidence for each planned tag (assigned at >= 0)."""
        import numpy as np

        tokens = [paper_tokens(title, abstract) for title, abstract in papers]
        scores = np.array(self._rule_scores(papers, tokens), dtype=np.float64)
        thresholds = np.array(self.thresholds, dtype=np.float64)
        ratios = (scores.reshape(len(papers), len(self.names)) / thresholds).astype(np.float32)
        rules = RULE_WEIGHT * np.clip(ratios, -1.0, 1.5)
        logits = self._logits(papers, tokens)
        if logits is None:  # rules alone: assigned exactly at the threshold
            return ratios - 1.0
        if self.mode == "model":
            return np.where(np.array(self._known), logits, ratios - 1.0)
        return logits + rules

    def tag_batch(self, papers: Sequence[Text]) -> list[list[str]]:
        """The tags of each paper, in taxonomy order, implied tags included."""
        import numpy as np

        if not papers:
            return []
        on = self.evidence(papers) >= 0
        order = list(self.taxonomy.tags)
        decided: dict[bytes, list[str]] = {}  # a batch has few distinct sets of tags
        out = []
        for row, key in enumerate(map(bytes, np.packbits(on, axis=1))):
            if (tags := decided.get(key)) is None:
                flags = on[row].tolist()
                assigned = {name for name, flag in zip(self.names, flags, strict=True) if flag}
                assigned.update(implied(self.taxonomy, assigned))
                tags = decided[key] = [name for name in order if name in assigned]
            out.append(list(tags))
        return out

    def explain(self, title: str, abstract: str) -> list[TagScore]:
        """Every tag with any evidence, with the rules that fired and what the model scored.

        Tags are shown when a rule fired, when rules and model together come within
        `RULE_WEIGHT` of assigning them, or when another tag implies them.
        """
        import math

        scores = {score.tag: score for score in score_paper(self.taxonomy, title, abstract)}
        evidence = self.evidence([(title, abstract)])[0]
        logits = self._logits([(title, abstract)])
        model = self.model
        batch = model.vectorizer.transform([(title, abstract)]) if model is not None else None
        built: dict[str, TagScore] = {}
        for position, name in enumerate(self.names):
            score = scores.get(name) or TagScore(
                tag=name, score=0.0, threshold=self.thresholds[position], assigned=False, hits=[]
            )
            fused = float(evidence[position])
            score.assigned = fused >= 0
            score.via = None  # the rules' own implication is decided again below
            score.evidence = round(fused, 3)
            if logits is not None and self._known[position]:
                score.model = round(1 / (1 + math.exp(-float(logits[0, position]))), 3)
                if model is not None and batch is not None and name in model.tags:
                    score.features = [
                        (feature, round(weight, 3))
                        for feature, weight in model.top_features(batch, name)
                    ]
            built[name] = score
        assigned = {name for name, score in built.items() if score.assigned}
        shown = {
            name
            for name, score in built.items()
            if score.hits
            or score.assigned
            or (score.model is not None and (score.evidence or 0) >= -RULE_WEIGHT)
        }
        for target, source in implied(self.taxonomy, assigned).items():
            score = built.setdefault(
                target,
                TagScore(
                    tag=target,
                    score=0.0,
                    threshold=self.taxonomy.tags[target].threshold,
                    assigned=False,
                    hits=[],
                ),
            )
            shown.add(target)
            if not score.assigned:
                score.assigned = True
                score.via = f"implied by {source}"
        return [built[name] for name in self.taxonomy.tags if name in shown]

    # --- learning from the user ---------------------------------------------------------------

    def _learn(self, model: LinearModel, corrections: Corrections) -> None:
        """Fold a correction per tag the user has decided often enough into the weights.

        The correction is a logistic model over the papers' topic coordinates, learned with the
        current evidence as a fixed offset: it moves what the user's decisions contradict. The
        library's other papers (the background) are held to their current tags, lightly, so a
        correction stays local.
        """
        import numpy as np

        assert self._weights is not None and self._bias is not None
        tags = self.learned
        papers = [text for text, _ in corrections.decided] + list(corrections.background)
        positions = [self.names.index(name) for name in tags]
        offset = self.evidence(papers)[:, positions]
        coordinates = model.coordinates(model.vectorizer.transform(papers))
        targets = (offset >= 0).astype(np.float32)
        weights = np.full((len(papers), len(tags)), BACKGROUND_WEIGHT, dtype=np.float32)
        for row, (_, decisions) in enumerate(corrections.decided):
            for column, name in enumerate(tags):
                if name in decisions:
                    targets[row, column] = float(decisions[name])
                    weights[row, column] = 1.0
        for column in range(len(tags)):
            u, c = fit_logistic(
                coordinates,
                targets[:, column : column + 1],
                offset=offset[:, column : column + 1],
                sample_weight=weights[:, column],
                l2=CORRECTION_L2,
                balance=False,
                steps=200,
            )
            position = positions[column]
            self._weights[: model.vectorizer.n_words, position] += model.topics @ u[:, 0]
            self._bias[position] += c[0]
            self._known[position] = True


def _tokens_are_words(text: str) -> bool:
    """Whether the model's tokens of `text` are exactly the words rules see in it: true of
    ASCII text without `_` (both are then its lower-cased runs of letters and digits)."""
    return text.isascii() and "_" not in text


# --- tagging in worker processes -----------------------------------------------------------------

_WORKER: Tagger | None = None


def _start_worker(recipe: tuple[dict[str, object], Mode, Corrections | None, object]) -> None:
    global _WORKER
    taxonomy, mode, corrections, model = recipe
    _WORKER = Tagger(
        Taxonomy.model_validate(taxonomy),
        model=model if isinstance(model, LinearModel) else None,
        corrections=corrections,
        mode=mode,
    )


def _tag_in_worker(papers: Sequence[Text]) -> list[list[str]]:
    assert _WORKER is not None
    return _WORKER.tag_batch(papers)


class TaggerPool:
    """The same tagger in worker processes, for a large library: tagging is CPU-bound Python,
    so a second core halves it. Workers are spawned (not forked: the caller may hold threads,
    a progress bar's for one) and build their tagger from the same taxonomy, model and
    corrections, so they decide exactly as `tagger` does."""

    def __init__(self, tagger: Tagger, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        recipe = (
            tagger.taxonomy.model_dump(),
            tagger.mode,
            tagger._corrections,
            tagger._model,
        )
        self.executor = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(recipe,),
        )

    def submit(self, papers: Sequence[Text]) -> Future[list[list[str]]]:
        return self.executor.submit(_tag_in_worker, list(papers))

    def __enter__(self) -> TaggerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(cancel_futures=True)
