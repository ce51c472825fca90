"""Building the shipped model from labelled papers, and learning a user's corrections on top.

The shipped model (`data/model.npz`) is rebuilt by a developer, never at run time:

    python -m papertriage.tagging.training ../shared/corpus/papers.jsonl \
        --exclude benchmarks/labels/test-ids.txt

It learns from `data/labelled.jsonl` (the development part of the hand-labelled corpus sample)
and `data/seed.jsonl` (the seed gold). The corpus, without the test part and without labels,
gives the vocabulary, the idf and the topic basis: text that shapes what words mean, not tags.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from papertriage.tagging.model import LinearModel, Vectorizer, fit_logistic

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

TOPICS = 150
"""Topic coordinates a paper gets; 100-300 were within noise in cross-validation."""
TOPIC_SCALE = 2.0
"""How much the topic coordinates count against the word features."""
MIN_DF = 5


@dataclass(frozen=True)
class Labelled:
    """A labelled paper: its text and the tags a person gave it."""

    title: str
    abstract: str
    tags: frozenset[str]


def read_labelled(lines: Sequence[str]) -> list[Labelled]:
    """Labelled papers from JSON lines with `title`, `abstract` and `tags`."""
    rows = [json.loads(line) for line in lines if line.strip()]
    return [Labelled(row["title"], row["abstract"], frozenset(row["tags"])) for row in rows]


def shipped_labels() -> list[Labelled]:
    """The labelled papers the shipped model learned from (development part and seed gold)."""
    data = resources.files("papertriage.tagging").joinpath("data")
    out: list[Labelled] = []
    for name in ("labelled.jsonl", "seed.jsonl"):
        out += read_labelled(data.joinpath(name).read_text("utf-8").splitlines())
    return out


def topic_basis(x: NDArray[np.float32], k: int, seed: int = 0) -> NDArray[np.float32]:
    """The top-k right singular vectors of `x` (papers x words), by a randomized SVD."""
    import numpy as np

    rng = np.random.default_rng(seed)
    q = x @ rng.standard_normal((x.shape[1], k + 30)).astype(np.float32)
    for _ in range(3):  # power iterations sharpen the leading directions
        q, _ = np.linalg.qr(q)
        q = x @ (x.T @ q)
    q, _ = np.linalg.qr(q)
    _, _, vt = np.linalg.svd(q.T @ x, full_matrices=False)
    return np.ascontiguousarray(vt[:k].T, dtype=np.float32)


def label_matrix(papers: Sequence[Labelled], tags: Sequence[str]) -> NDArray[np.float32]:
    import numpy as np

    return np.array([[tag in paper.tags for tag in tags] for paper in papers], dtype=np.float32)


@dataclass(frozen=True)
class Space:
    """The features and topics learned from unlabelled text, shared by every model fit on it."""

    vectorizer: Vectorizer
    basis: NDArray[np.float32]


def feature_space(unlabelled: Sequence[tuple[str, str]], topics: int = TOPICS) -> Space:
    """The vocabulary, idf and topic basis of the unlabelled papers."""
    vectorizer = Vectorizer.fit(unlabelled, min_df=MIN_DF)
    corpus = vectorizer.transform(list(unlabelled)).dense()[:, : vectorizer.n_words]
    return Space(vectorizer, topic_basis(corpus, topics))


def train(
    labelled: Sequence[Labelled], space: Space, tags: Sequence[str], *, l2: float = 1e-4
) -> LinearModel:
    """A model for `tags` from labelled papers: word features and topic coordinates."""
    import numpy as np

    vectorizer, basis = space.vectorizer, space.basis
    words = vectorizer.n_words
    x = vectorizer.transform([(paper.title, paper.abstract) for paper in labelled]).dense()
    features = np.hstack([x, TOPIC_SCALE * (x[:, :words] @ basis)])
    weights, bias = fit_logistic(features, label_matrix(labelled, tags), l2=l2)
    # fold the topic part into the word weights: x W + s (x V) W2 = x (W + s V W2)
    folded = weights[: vectorizer.width].copy()
    folded[:words] += TOPIC_SCALE * basis @ weights[vectorizer.width :]
    return LinearModel(vectorizer, list(tags), folded, bias, basis)


def _main() -> None:
    from papertriage.tagging.taxonomy import default_taxonomy

    parser = argparse.ArgumentParser(description="Rebuild the shipped tagging model.")
    parser.add_argument("corpus", type=Path, help="papers.jsonl of the corpus (unlabelled text)")
    parser.add_argument(
        "--exclude", type=Path, action="append", default=[], help="arXiv ids to leave out"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("data") / "model.npz")
    args = parser.parse_args()
    excluded: set[str] = set()
    for path in args.exclude:
        excluded.update(path.read_text("utf-8").split())
    rows = [json.loads(line) for line in args.corpus.read_text("utf-8").splitlines() if line]
    unlabelled = [(r["title"], r["abstract"]) for r in rows if r["arxiv_id"] not in excluded]
    space = feature_space(unlabelled)
    model = train(shipped_labels(), space, list(default_taxonomy().tags))
    model.save(args.out)
    print(f"{args.out}: {len(model.tags)} tags, {model.vectorizer.width} features")


if __name__ == "__main__":
    _main()
