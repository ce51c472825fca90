"""Triage queries: the user's statuses and notes, with the history that undo walks back."""

from __future__ import annotations

from collections.abc import Sequence

from ..models import Status
from .base import now_iso
from .tags import TagQueries


class TriageQueries(TagQueries):
    def set_status(
        self, paper_ids: Sequence[str], status: Status | None, note: str | None, *, keep_note: bool
    ) -> int:
        """Change status and/or note of papers as one undoable step; returns the step number.

        `status` None keeps each paper's status; `keep_note` keeps each paper's note.
        """
        conn = self.conn
        batch = int(
            conn.execute("SELECT coalesce(max(batch), 0) + 1 FROM status_history").fetchone()[0]
        )
        now = now_iso()
        for paper in paper_ids:
            row = conn.execute(
                "SELECT status, note FROM paper_status WHERE paper_id = ?", (paper,)
            ).fetchone()
            old_status, old_note = (row[0], row[1]) if row else (None, None)
            new_status = status or old_status or "new"
            new_note = old_note if keep_note else note
            conn.execute(
                "INSERT INTO paper_status (paper_id, status, note, changed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (paper_id) DO UPDATE SET status = excluded.status,"
                " note = excluded.note, changed_at = excluded.changed_at",
                (paper, new_status, new_note, now),
            )
            conn.execute(
                "INSERT INTO status_history (batch, paper_id, old_status, old_note, new_status,"
                " new_note, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (batch, paper, old_status, old_note, new_status, new_note, now),
            )
        return batch

    def undo_status(self, batch: int | None = None) -> list[tuple[str, str, str]]:
        """Undo a status step (by default the latest not yet undone): [(paper, status now,
        status before)]; nothing if that step is undone already."""
        conn = self.conn
        if batch is None:
            batch = conn.execute(
                "SELECT max(batch) FROM status_history WHERE undone = 0"
            ).fetchone()[0]
        pending = conn.execute(
            "SELECT 1 FROM status_history WHERE batch = ? AND undone = 0 LIMIT 1", (batch,)
        ).fetchone()
        if pending is None:
            return []
        undone = []
        for entry in conn.execute(
            "SELECT paper_id, old_status, old_note, new_status FROM status_history"
            " WHERE batch = ? ORDER BY id DESC",
            (batch,),
        ).fetchall():
            paper, old_status, old_note, new_status = entry
            if old_status is None:
                conn.execute("DELETE FROM paper_status WHERE paper_id = ?", (paper,))
            else:
                conn.execute(
                    "UPDATE paper_status SET status = ?, note = ?, changed_at = ?"
                    " WHERE paper_id = ?",
                    (old_status, old_note, now_iso(), paper),
                )
            undone.append((paper, old_status or "new", new_status))
        conn.execute("UPDATE status_history SET undone = 1 WHERE batch = ?", (batch,))
        return undone

    def status_counts(self) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT coalesce(st.status, 'new'), count(*) FROM papers p"
            " LEFT JOIN paper_status st ON st.paper_id = p.id GROUP BY 1"
        )
        return {row[0]: row[1] for row in rows}
