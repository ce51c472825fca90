"""The learned side of the tagger: tf-idf over words, topics, a logistic model per tag.

Rules name the phrasings someone thought of; this model learns the others from labelled papers
(the shipped labels, and the user's own `tag +x -y` decisions). It is plain numpy so that the
install stays light and `import papertriage` stays fast: numpy is imported only when tagging.

Features of a paper: its lower-cased words (runs of ASCII letters and digits) and its title's
words again as title features, each weighted by sublinear tf times idf, the vector
L2-normalised, plus its coordinates on topics (a truncated SVD of unlabelled papers' word
vectors), which let a few labelled papers teach words they never contained. The vocabulary is
that of the unlabelled corpus the shipped model was built from, not of any library.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

# Bytes that make words: ASCII letters (lower-cased by the table) and digits. Every other byte,
# including each byte of a non-ASCII character, separates words; `bytes.translate` and `split`
# read a batch several times faster than a regex.
_TABLE = bytes(
    (code | 0x20) if chr(code).isascii() and chr(code).isalnum() else 0x20 for code in range(256)
)
_TITLE = "title:"

PaperTokens = tuple[list[bytes], list[bytes]]
"""A paper's title tokens and abstract tokens."""


def _tokens(text: str) -> list[bytes]:
    return text.encode("utf-8", "replace").translate(_TABLE).split()


def paper_tokens(title: str, abstract: str) -> PaperTokens:
    """The tokens the model reads of a paper; the rules reuse them where they are its words."""
    return _tokens(title), _tokens(abstract)


def words(text: str) -> list[str]:
    """The words the model sees: lower-cased runs of ASCII letters and digits."""
    return [token.decode("ascii") for token in _tokens(text)]


@dataclass(frozen=True)
class Csr:
    """Feature vectors in compressed sparse rows: row i is data[indptr[i]:indptr[i + 1]]."""

    indptr: NDArray[np.int64]
    indices: NDArray[np.int64]
    data: NDArray[np.float32]
    width: int

    def dense(self) -> NDArray[np.float32]:
        import numpy as np

        out = np.zeros((len(self.indptr) - 1, self.width), dtype=np.float32)
        rows = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))
        out[rows, self.indices] = self.data
        return out


class _Ids(dict[bytes, int]):
    """Word ids, with -1 for a word outside the vocabulary (a C-level lookup for known words)."""

    def __missing__(self, word: bytes) -> int:
        return -1


class Vectorizer:
    """Papers to tf-idf vectors over a fixed vocabulary: the words of title and abstract, then
    the title's words again as title features (a word in the title says more).

    A batch is read with one C-level dict lookup a word (each text is tokenised once, and the
    title's ids are reused as title features); the rest is numpy. (Word pairs were measured
    too: +0.006 micro-F1 in cross-validation for a third more time and a model five times the size.)
    """

    def __init__(self, unigrams: Sequence[str], idf: Any) -> None:
        import numpy as np

        self.unigrams = list(unigrams)
        self.ids = _Ids((word.encode(), index) for index, word in enumerate(self.unigrams))
        self.idf = np.asarray(idf, dtype=np.float32)
        self.n_words = len(self.unigrams)
        self.width = self.n_words * 2

    @classmethod
    def fit(cls, papers: Sequence[tuple[str, str]], min_df: int = 2) -> Vectorizer:
        """The vocabulary and idf of these papers: words in at least `min_df` of them."""
        import numpy as np

        df: Counter[str] = Counter()
        title_df: Counter[str] = Counter()
        for title, abstract in papers:
            in_title = set(words(title))
            df.update(in_title | set(words(abstract)))
            title_df.update(in_title)
        unigrams = sorted(word for word, count in df.items() if count >= min_df)
        total = len(papers) + 1
        idf = [np.log(total / (1 + df[word])) + 1 for word in unigrams]
        idf += [np.log(total / (1 + title_df[word])) + 1 for word in unigrams]
        return cls(unigrams, np.array(idf, dtype=np.float32))

    def name(self, feature: int) -> str:
        """A feature as a person reads it: `word` or `title:word`."""
        if feature < self.n_words:
            return self.unigrams[feature]
        return _TITLE + self.unigrams[feature - self.n_words]

    def transform(
        self, papers: Sequence[tuple[str, str]], tokens: Sequence[PaperTokens] | None = None
    ) -> Csr:
        """The normalised tf-idf vectors of a batch of (title, abstract); `tokens` may give their
        `paper_tokens` when the caller has them already."""
        import numpy as np

        if tokens is None:
            tokens = [paper_tokens(title, abstract) for title, abstract in papers]
        parts = [part for pair in tokens for part in pair]  # title 0, abstract 0, title 1, ...
        flat = list(chain.from_iterable(parts))
        ids = np.fromiter(map(self.ids.__getitem__, flat), dtype=np.int64, count=len(flat))
        part_of = np.repeat(np.arange(len(parts)), [len(part) for part in parts])
        known = ids >= 0
        in_title = known & (part_of % 2 == 0)
        features = np.concatenate([ids[known], ids[in_title] + self.n_words])
        owners = np.concatenate([part_of[known] // 2, part_of[in_title] // 2])
        keys, counts = np.unique(owners * self.width + features, return_counts=True)
        key_rows, key_features = np.divmod(keys, self.width)
        values = (1 + np.log(counts.astype(np.float32))) * self.idf[key_features]
        indptr = np.zeros(len(papers) + 1, dtype=np.int64)
        np.cumsum(np.bincount(key_rows, minlength=len(papers)), out=indptr[1:])
        lengths = np.diff(indptr)
        if len(values):
            nonempty = lengths > 0
            norms = np.ones(len(papers), dtype=np.float32)
            norms[nonempty] = np.sqrt(np.add.reduceat(values * values, indptr[:-1][nonempty]))
            values = (values / np.repeat(norms, lengths)).astype(np.float32)
        return Csr(indptr, key_features, values, self.width)


RULE_WEIGHT = 2.0
"""How much the rules' evidence moves the model's log-odds: a tag's decision is
`logit + RULE_WEIGHT * clip(rule score / threshold, -1, 1.5) >= 0`. Chosen by 5-fold
cross-validation on the labelled development part (see benchmarks/tagging_quality.py)."""
NO_MODEL_LOGIT = -RULE_WEIGHT
"""The log-odds of a tag the model knows nothing of: its rules alone decide it, at their
threshold."""


@dataclass
class LinearModel:
    """A logistic model per tag over a `Vectorizer`'s features, and the topic basis it uses.

    `weights` already hold the topic part folded in (features x tags), so scoring a paper is one
    sparse product. `topics` (words x k) maps a paper's word vector to k topic coordinates (a
    truncated SVD of the unlabelled corpus); it is kept for learning from a user's decisions.
    """

    vectorizer: Vectorizer
    tags: list[str]
    weights: NDArray[np.float32]
    bias: NDArray[np.float32]
    topics: NDArray[np.float32]

    def logits(
        self,
        batch: Csr,
        weights: NDArray[np.float32] | None = None,
        bias: NDArray[np.float32] | None = None,
    ) -> NDArray[np.float32]:
        """Each paper's log-odds for each tag (papers x tags); other weights may be given
        (the model's with a user's corrections folded in)."""
        import numpy as np

        matrix = self.weights if weights is None else weights
        out = np.zeros((len(batch.indptr) - 1, matrix.shape[1]), dtype=np.float32)
        nonempty = np.diff(batch.indptr) > 0
        if len(batch.indices):
            weighted = matrix[batch.indices] * batch.data[:, None]
            out[nonempty] = np.add.reduceat(weighted, batch.indptr[:-1][nonempty], axis=0)
        out += self.bias if bias is None else bias
        return out

    def coordinates(self, batch: Csr) -> NDArray[np.float32]:
        """The papers' topic coordinates (papers x k), from their word features only."""
        import numpy as np

        words = batch.indices < self.vectorizer.n_words
        indices = batch.indices[words]
        data = batch.data[words]
        rows = np.repeat(np.arange(len(batch.indptr) - 1), np.diff(batch.indptr))[words]
        out = np.zeros((len(batch.indptr) - 1, self.topics.shape[1]), dtype=np.float32)
        np.add.at(out, rows, self.topics[indices] * data[:, None])
        return out

    def top_features(self, batch: Csr, tag: str, top: int = 5) -> list[tuple[str, float]]:
        """The features that pushed the (one) paper of `batch` most for `tag`, with their share
        of its log-odds (`learned` corrections aside: they are not features of the paper)."""
        import numpy as np

        column = self.weights[batch.indices, self.tags.index(tag)] * batch.data
        order = np.argsort(-np.abs(column))[:top]
        return [(self.vectorizer.name(int(batch.indices[i])), float(column[i])) for i in order]

    def digest(self) -> str:
        """A short hash of everything that decides this model's output, for retag decisions."""
        hasher = hashlib.sha256()
        hasher.update("\n".join(self.tags).encode())
        hasher.update("\n".join(self.vectorizer.unigrams).encode())
        for array in (self.weights, self.bias, self.vectorizer.idf, self.topics):
            hasher.update(array.tobytes())
        return hasher.hexdigest()[:16]

    def save(self, path: Path) -> None:
        import numpy as np

        with path.open("wb") as out:
            np.savez_compressed(
                out,
                unigrams=np.array(self.vectorizer.unigrams),
                idf=self.vectorizer.idf.astype(np.float16),
                tags=np.array(self.tags),
                weights=self.weights.astype(np.float16),
                bias=self.bias,
                topics=self.topics.astype(np.float16),
            )

    @classmethod
    def load(cls, source: Any) -> LinearModel:
        """A model saved by `save`, from a path or a binary file object."""
        import numpy as np

        with np.load(source, allow_pickle=False) as saved:
            vectorizer = Vectorizer(saved["unigrams"].tolist(), saved["idf"].astype(np.float32))
            return cls(
                vectorizer=vectorizer,
                tags=saved["tags"].tolist(),
                weights=saved["weights"].astype(np.float32),
                bias=saved["bias"].astype(np.float32),
                topics=saved["topics"].astype(np.float32),
            )


def fit_logistic(
    x: NDArray[np.float32],
    y: NDArray[np.float32],
    *,
    offset: NDArray[np.float32] | None = None,
    sample_weight: NDArray[np.float32] | None = None,
    l2: float = 1e-4,
    steps: int = 400,
    balance: bool = True,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Logistic regression for every column of `y` at once (papers x tags, 0/1), by Adam.

    With `balance`, positives are weighted to match negatives per tag (rare tags would otherwise
    never fire). `offset` is added to the log-odds and not learned: the evidence a user's
    corrections are learned on top of. `sample_weight` weighs papers.
    """
    import numpy as np

    n, width = x.shape
    tags = y.shape[1]
    rows = np.ones(n, dtype=np.float32) if sample_weight is None else sample_weight
    weight_of = np.repeat(rows[:, None], tags, axis=1)
    if balance:
        positives = (y * rows[:, None]).sum(axis=0)
        negatives = rows.sum() - positives
        ratio = np.maximum(negatives, 1.0) / np.maximum(positives, 1.0)
        weight_of = weight_of * np.where(y > 0, ratio, 1.0).astype(np.float32)
    weight_of /= np.maximum(weight_of.sum(axis=0, keepdims=True), 1e-9)
    base = np.zeros((n, tags), dtype=np.float32) if offset is None else offset
    w = np.zeros((width, tags), dtype=np.float32)
    b = np.zeros(tags, dtype=np.float32)
    moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
    rate, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    for step in range(1, steps + 1):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b + base)))
        error = (p - y) * weight_of
        grads = (x.T @ error + l2 * w, error.sum(axis=0))
        for index, (param, grad) in enumerate(zip((w, b), grads, strict=True)):
            m, v = moments[2 * index], moments[2 * index + 1]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return w, b
