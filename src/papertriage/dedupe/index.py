"""What an incremental dedupe needs to know of the titles it does not load.

Deduplicating one day's 50 new titles only compares them with the titles that share one of
their blocks (`blocking.blocks`). Finding those took every title and abstract of the library:
how many titles hold each word (a word's rarity decides which words file a title) and every
abstract's opening. `TitleIndex` keeps that, as arrays a library stores: each word's count,
the titles holding each word rare enough to block on, and the titles by the hash of their
abstract's opening. A day's dedupe then loads the new titles and their neighbours only, and
its blocks are the ones a run over every title would make.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


def variant_number(variant_id: str) -> int:
    """A variant id (12 hex digits) as the int the index holds."""
    return int(variant_id, 16)


def variant_hex(number: int) -> str:
    return f"{number:012x}"


def opening_hash(opening: str) -> int:
    """A stable 63-bit hash of an abstract's opening (Python's `hash` changes per process)."""
    digest = hashlib.blake2b(opening.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


@dataclass(frozen=True, slots=True)
class TitleIndex:
    """Word counts, word postings and abstract openings of the titles up to a point."""

    upto: int
    """The last variant (by rowid) it covers: later ones are read from the library."""
    size: int
    """Titles it covers."""
    words: dict[str, int]
    """Each word's row in `counts` and `starts`."""
    counts: Ints
    """Titles holding each word."""
    starts: Ints
    """Where each word's titles start in `postings` (none for words too common to block)."""
    postings: Ints
    openings: Ints
    """Opening hashes, sorted, and the title of each (`opening_titles`)."""
    opening_titles: Ints

    def count(self, word: str) -> int:
        at = self.words.get(word)
        return 0 if at is None else int(self.counts[at])

    def holders(self, words: Iterable[str]) -> Ints:
        """The titles (as `variant_number`s) that hold any of these words."""
        parts = [
            self.postings[self.starts[at] : self.starts[at + 1]]
            for word in words
            if (at := self.words.get(word)) is not None
        ]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def with_openings(self, hashes: Iterable[int]) -> Ints:
        """The titles whose abstract opening has one of these hashes."""
        wanted = np.fromiter(hashes, dtype=np.int64)
        left = np.searchsorted(self.openings, wanted, side="left")
        right = np.searchsorted(self.openings, wanted, side="right")
        parts = [
            self.opening_titles[a:b] for a, b in zip(left.tolist(), right.tolist(), strict=True)
        ]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def to_blobs(self) -> dict[str, bytes | int]:
        """The index as the library stores it."""
        return {
            "upto": self.upto,
            "size": self.size,
            "words": "\n".join(self.words).encode("utf-8"),
            "counts": self.counts.tobytes(),
            "starts": self.starts.tobytes(),
            "postings": self.postings.tobytes(),
            "openings": self.openings.tobytes(),
            "opening_titles": self.opening_titles.tobytes(),
        }

    @classmethod
    def from_blobs(cls, blobs: dict[str, bytes | int]) -> TitleIndex:
        def ints(name: str) -> Ints:
            data = blobs[name]
            assert isinstance(data, bytes)
            return np.frombuffer(data, dtype=np.int64)

        text = blobs["words"]
        assert isinstance(text, bytes)
        names = text.decode("utf-8").split("\n") if text else []
        return cls(
            upto=int(blobs["upto"]),
            size=int(blobs["size"]),
            words={word: at for at, word in enumerate(names)},
            counts=ints("counts"),
            starts=ints("starts"),
            postings=ints("postings"),
            openings=ints("openings"),
            opening_titles=ints("opening_titles"),
        )


def build_index(
    upto: int,
    ids: Sequence[str],
    keys: Sequence[str],
    openings: Sequence[str | None],
    max_block: int,
) -> TitleIndex:
    """The index of these titles (ids, folded keys and abstract openings, aligned).

    Words held by more than `max_block` titles get no postings: they never file a title, and
    a library only gains titles while its index lasts (losing one drops the index).
    """
    words: dict[str, int] = {}
    rows, titles = array("q"), array("q")
    for at, key in enumerate(keys):
        for word in set(key.split()):
            rows.append(words.setdefault(word, len(words)))
            titles.append(at)
    row = np.frombuffer(rows, dtype=np.int64) if rows else np.empty(0, dtype=np.int64)
    title = np.frombuffer(titles, dtype=np.int64) if titles else np.empty(0, dtype=np.int64)
    counts = np.bincount(row, minlength=len(words)).astype(np.int64)
    kept = counts[row] <= max_block
    row, title = row[kept], title[kept]
    order = np.argsort(row, kind="stable")
    numbers = np.fromiter(map(variant_number, ids), dtype=np.int64, count=len(ids))
    postings = numbers[title[order]]
    starts = np.searchsorted(row[order], np.arange(len(words) + 1)).astype(np.int64)
    opened = [(opening_hash(text), at) for at, text in enumerate(openings) if text is not None]
    hashes = np.fromiter((h for h, _ in opened), dtype=np.int64, count=len(opened))
    holders = numbers[np.fromiter((at for _, at in opened), dtype=np.int64, count=len(opened))]
    by_hash = np.argsort(hashes, kind="stable")
    return TitleIndex(
        upto=upto,
        size=len(keys),
        words=words,
        counts=counts,
        starts=starts,
        postings=np.ascontiguousarray(postings),
        openings=hashes[by_hash],
        opening_titles=holders[by_hash],
    )
