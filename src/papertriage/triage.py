"""Deciding what to read: statuses, notes, undo, and the one-paper-at-a-time session of `next`.

The session is a plain object fed one key at a time, so the CLI can drive it from a terminal
in raw mode or from lines on standard input, and tests can drive it directly. Every key that
changes something is saved at once in its own transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from .errors import UsageError
from .models import PaperDetail, Status, paper_links
from .store import PaperFilter, Store

KEYS: dict[str, Status] = {"r": "read", "s": "starred", "k": "skipped", "l": "later"}
HELP = "r read · s star · k skip · l later · n next · o open · a whole abstract · u undo · q quit"


def mark(
    store: Store,
    ids: Sequence[str],
    status: Status | None,
    note: str | None = None,
    *,
    keep_note: bool = True,
) -> list[str]:
    """Set the status (and/or note) of papers given by id or prefix, as one undoable step."""
    if status is None and keep_note:
        raise UsageError("say what to do: --read, --star, --later, --skip, --new or --note")
    papers = list(dict.fromkeys(store.resolve_id(text) for text in ids))
    with store.atomic():
        store.set_status(papers, status, note, keep_note=keep_note)
    return papers


def undo(store: Store) -> list[tuple[str, str, str]]:
    """Undo the latest status change: [(paper, status restored, status undone)]."""
    with store.atomic():
        return store.undo_status()


class Step(BaseModel):
    """What a key press did, for the screen."""

    model_config = ConfigDict(defer_build=True)  # built when first used, as in `models`

    message: str
    done: bool = False
    redraw: bool = True
    """False when the key changed nothing on the screen (Enter)."""
    link: str | None = None
    """A page to open in the browser (key `o`): the paper stays on screen, undecided."""


class Session:
    """Shows `new` papers one at a time, best first (seen in most dumps, then newest).

    The queue is read a page of ids at a time, as the user gets to it: a big library's new
    papers, read whole, took seconds before the first one showed.
    """

    PAGE = 50

    def __init__(self, store: Store, where: PaperFilter) -> None:
        self.store = store
        self._where = where.model_copy(
            update={"statuses": ["new"], "sort": "best", "limit": self.PAGE}
        )
        page = store.best_page(self._where)
        self.queue = [key[0] for key in page]
        self._last = page[-1] if page else None
        """The key of the last paper read into the queue: the next page starts after it."""
        self._total = store.count_papers(self._where) if len(page) == self.PAGE else len(page)
        self.position = 0
        self.decided = 0
        self.whole_abstract = False
        """Whether the screen shows the current paper's abstract whole (key a), not cut to fit."""
        self._steps: list[int] = []
        """The status steps this session made, newest last: `u` undoes these, nothing older."""

    @property
    def remaining(self) -> int:
        return self._total - self.position

    def _paper(self) -> str | None:
        """The paper at the current position, reading the next page when it is reached."""
        if self.position >= len(self.queue) < self._total:
            page = self.store.best_page(self._where, self._last)
            self.queue += [key[0] for key in page]
            self._last = page[-1] if page else self._last
            if len(page) < self.PAGE:  # papers decided elsewhere meanwhile are not shown
                self._total = len(self.queue)
        return self.queue[self.position] if self.position < len(self.queue) else None

    def current(self) -> PaperDetail | None:
        paper = self._paper()
        return None if paper is None else self.store.paper_detail(paper)

    def press(self, key: str) -> Step:
        key = key.strip().lower()[:1]
        if not key:
            return Step(message="", redraw=False)  # Enter (or an empty line): nothing to do
        if key == "a":
            self.whole_abstract = not self.whole_abstract
            return Step(message="")
        if key == "q":
            return Step(message=f"stopped: {self.decided} decided", done=True)
        if key == "u":
            return self._undo()
        paper = self._paper()
        if paper is None:
            return Step(message="nothing left to triage", done=True)
        if key == "o":
            arxiv = self.store.paper_detail(paper).arxiv_id
            if arxiv is None:
                return Step(message=f"{paper[:8]}: no link yet (seen only in dumps)")
            link = paper_links(arxiv)[0]
            return Step(message=f"{paper[:8]}: opening {link}", link=link)
        if key == "n":
            self.position += 1
            self.whole_abstract = False
            return Step(message=f"{paper[:8]}: left as new", done=self.remaining == 0)
        status = KEYS.get(key)
        if status is None:
            return Step(message=f"unknown key {key!r}")  # the keys are listed below it
        with self.store.atomic():
            self._steps.append(self.store.set_status([paper], status, None, keep_note=True))
        self.position += 1
        self.decided += 1
        self.whole_abstract = False
        return Step(message=f"{paper[:8]}: {status}", done=self.remaining == 0)

    def _undo(self) -> Step:
        """Undo this session's latest decision: a status changed before the session (or by
        another process meanwhile) is `papertriage undo`'s to take back, not this key's."""
        restored: list[tuple[str, str, str]] = []
        while self._steps and not restored:
            with self.store.atomic():
                restored = self.store.undo_status(self._steps.pop())
        if not restored:
            return Step(
                message="nothing to undo in this session (`papertriage undo` takes back earlier"
                " changes)"
            )
        paper, before, after = restored[0]
        if paper in self.queue[: self.position]:
            self.queue.remove(paper)
            self.position -= 1
            self.queue.insert(self.position, paper)
            self.decided = max(0, self.decided - 1)
        return Step(message=f"{paper[:8]}: {after} undone, back to {before}")
