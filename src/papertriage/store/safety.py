"""Safety queries: what `check` verifies, the backup copy, and the user's decisions as rows."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import cast

from ..errors import StoreError
from ..models import Status
from .base import StoreBase


class SafetyQueries(StoreBase):
    def integrity_problems(self) -> list[str]:
        """SQLite's own integrity check: nothing when the file is sound."""
        rows = [str(row[0]) for row in self.conn.execute("PRAGMA integrity_check")]
        return [] if rows == ["ok"] else rows

    def broken_references(self) -> list[tuple[str, int, str]]:
        """(table, row, missing table) of every row whose foreign key points nowhere."""
        return [(row[0], row[1], row[2]) for row in self.conn.execute("PRAGMA foreign_key_check")]

    def search_index_counts(self) -> tuple[int, int, list[str]]:
        """(search entries, papers, papers missing from the search index)."""
        conn = self.conn
        indexed = conn.execute("SELECT count(*) FROM papers_fts").fetchone()[0]
        papers = conn.execute("SELECT count(*) FROM papers").fetchone()[0]
        missing = conn.execute(
            "SELECT p.id FROM papers p WHERE NOT EXISTS"
            " (SELECT 1 FROM papers_fts f WHERE f.rowid = p.sighting_id)"
        ).fetchall()
        return int(indexed), int(papers), [str(row[0]) for row in missing]

    def dangling_ids(self) -> list[tuple[str, str]]:
        """(id, paper) of ids that resolve to a paper the library does not have."""
        return [
            (row[0], row[1])
            for row in self.conn.execute(
                "SELECT v.id, v.paper_id FROM variants v WHERE NOT EXISTS"
                " (SELECT 1 FROM papers p WHERE p.id = v.paper_id)"
                " AND v.sighting_id IS NOT NULL"
            )
        ]

    def misplaced_sightings(self) -> list[tuple[int, str, str]]:
        """(sighting, its paper, the paper of its title) where those two differ."""
        return [
            (row[0], row[1], row[2])
            for row in self.conn.execute(
                "SELECT s.id, s.paper_id, v.paper_id FROM sightings s JOIN variants v"
                " ON v.key = s.key WHERE v.paper_id != s.paper_id LIMIT 100"
            )
        ]

    def misrepresented_variants(self) -> list[tuple[str, int, int | None]]:
        """(title id, its first sighting, the sighting it names) where those two differ."""
        return [
            (row[0], row[1], row[2])
            for row in self.conn.execute(
                "SELECT v.id, s.first, v.sighting_id FROM variants v JOIN"
                " (SELECT key, min(id) AS first FROM sightings GROUP BY key) s ON s.key = v.key"
                " WHERE v.sighting_id IS NOT s.first LIMIT 100"
            )
        ]

    def untagged_papers(self) -> list[str]:
        return [
            str(row[0])
            for row in self.conn.execute(
                "SELECT id FROM papers WHERE tagged_with IS NULL ORDER BY id LIMIT 100"
            )
        ]

    def wrong_summaries(self) -> list[tuple[str, int, int, int]]:
        """(paper, seen, its sightings, sighting shown) where the paper's summary is wrong."""
        return [
            (row[0], row[1], row[2], row[3])
            for row in self.conn.execute(
                "SELECT p.id, p.seen, (SELECT count(*) FROM sightings s WHERE s.paper_id = p.id)"
                " AS n, p.sighting_id FROM papers p WHERE p.seen != n OR NOT EXISTS"
                " (SELECT 1 FROM sightings s WHERE s.id = p.sighting_id AND s.paper_id = p.id)"
                " LIMIT 100"
            )
        ]

    def backup_to(self, target: Path) -> None:
        """A consistent copy in `target` (SQLite's backup API), even while others write.

        Written to a temporary file next to it and renamed, so a failed backup never leaves a
        half-written file under the target's name.
        """
        partial = target.with_name(target.name + ".partial")
        try:
            partial.unlink(missing_ok=True)
            copy = sqlite3.connect(partial)
            try:
                self.conn.backup(copy)
                copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                copy.close()
            partial.replace(target)
        except (OSError, sqlite3.Error) as exc:
            partial.unlink(missing_ok=True)
            raise StoreError(f"{target}: backup failed: {exc}") from None

    def status_decisions(self) -> list[tuple[str, Status, str | None, str, str | None]]:
        """(paper, status, note, changed at, arXiv id) of every paper the user triaged."""
        return [
            (r[0], cast(Status, r[1]), r[2], r[3], r[4])
            for r in self.conn.execute(
                "SELECT s.paper_id, s.status, s.note, s.changed_at, p.arxiv_id FROM paper_status s"
                " LEFT JOIN papers p ON p.id = s.paper_id ORDER BY s.paper_id"
            )
        ]

    def all_tag_decisions(self) -> list[tuple[str, str, bool, str, str | None]]:
        """(paper, tag, assigned, decided at, arXiv id) of every tag the user decided."""
        return [
            (r[0], r[1], bool(r[2]), r[3], r[4])
            for r in self.conn.execute(
                "SELECT t.paper_id, t.tag, t.assigned, t.decided_at, p.arxiv_id"
                " FROM tag_decisions t LEFT JOIN papers p ON p.id = t.paper_id"
                " ORDER BY t.paper_id, t.tag"
            )
        ]

    def pair_decisions(self) -> list[tuple[str, str, bool, str]]:
        """(a, b, same, decided at) of every merge, split and "not a duplicate"."""
        return [
            (r[0], r[1], bool(r[2]), r[3])
            for r in self.conn.execute(
                "SELECT a, b, same, decided_at FROM dupe_decisions ORDER BY a, b"
            )
        ]

    def mismatched_arxiv_ids(self) -> list[tuple[str, str | None, str | None]]:
        """(paper, its arXiv id, the ids its responses give) where the two differ (100 at most)."""
        rows = self.conn.execute(
            "SELECT p.id, p.arxiv_id, (SELECT group_concat(DISTINCT e.arxiv_id)"
            " FROM sightings g JOIN response_entries e ON e.sighting_id = g.id"
            " WHERE g.paper_id = p.id) AS ids FROM papers p"
            " WHERE ids IS NOT p.arxiv_id LIMIT 100"
        )
        return [(row[0], row[1], row[2]) for row in rows]

    def variant_ids(self) -> set[str]:
        """Every id a paper of this library has or had."""
        return {row[0] for row in self.conn.execute("SELECT id FROM variants")}

    def paper_of(self, variant: str) -> str:
        """The paper a stable id belongs to here (itself when this library does not have it)."""
        row = self.conn.execute("SELECT paper_id FROM variants WHERE id = ?", (variant,)).fetchone()
        return str(row[0]) if row else variant

    def import_statuses(self, rows: Iterable[tuple[str, str, str | None, str]]) -> None:
        """(paper, status, note, changed at): each kept unless the library's is newer."""
        self.conn.executemany(
            "INSERT INTO paper_status (paper_id, status, note, changed_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (paper_id) DO UPDATE SET"
            " status = excluded.status, note = excluded.note,"
            " changed_at = excluded.changed_at WHERE excluded.changed_at >= changed_at",
            rows,
        )

    def import_tag_decisions(self, rows: Iterable[tuple[str, str, bool, str]]) -> None:
        """(paper, tag, assigned, decided at): each kept unless the library's is newer."""
        self.conn.executemany(
            "INSERT INTO tag_decisions (paper_id, tag, assigned, decided_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (paper_id, tag) DO UPDATE SET"
            " assigned = excluded.assigned, decided_at = excluded.decided_at"
            " WHERE excluded.decided_at >= decided_at",
            ((paper, tag, int(assigned), at) for paper, tag, assigned, at in rows),
        )
