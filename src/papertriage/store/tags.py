"""Tag queries: the rules' tags (derived, recomputed by retag) and the user's decisions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .base import StoreBase, now_iso


class TagQueries(StoreBase):
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete_meta(self, key: str) -> None:
        self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))

    def papers_to_tag(
        self, fingerprint: str | None, limit: int, after: str = ""
    ) -> list[tuple[str, str, str]]:
        """(id, title, abstract) of papers not tagged with this taxonomy, by id after `after`.

        With fingerprint None, every paper: a full retag.
        """
        sql = (
            "SELECT p.id, c.title, c.abstract FROM papers p JOIN sightings c"
            " ON c.id = p.sighting_id WHERE p.id > ?"
        )
        params: list[Any] = [after]
        if fingerprint is not None:
            sql += " AND (p.tagged_with IS NULL OR p.tagged_with != ?)"
            params.append(fingerprint)
        sql += " ORDER BY p.id LIMIT ?"
        params.append(limit)
        return [(r[0], r[1], r[2]) for r in self.conn.execute(sql, params)]

    def count_papers_to_tag(self, fingerprint: str | None) -> int:
        if fingerprint is None:
            return int(self.conn.execute("SELECT count(*) FROM papers").fetchone()[0])
        row = self.conn.execute(
            "SELECT count(*) FROM papers WHERE tagged_with IS NULL OR tagged_with != ?",
            (fingerprint,),
        ).fetchone()
        return int(row[0])

    def set_rule_tags(self, fingerprint: str, tagged: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Replace the rule-assigned tags of these papers and mark them tagged."""
        conn = self.conn
        ids = [(paper,) for paper, _ in tagged]
        conn.executemany("DELETE FROM paper_tags WHERE paper_id = ?", ids)
        conn.executemany(
            "INSERT INTO paper_tags (paper_id, tag) VALUES (?, ?)",
            [(paper, tag) for paper, tags in tagged for tag in tags],
        )
        conn.executemany(
            "UPDATE papers SET tagged_with = ? WHERE id = ?",
            [(fingerprint, paper) for paper, _ in tagged],
        )

    def tag_counts(self) -> dict[str, tuple[int, int]]:
        """Per tag: (papers with it, of which by the user's decision)."""
        rows = self.conn.execute(
            "SELECT tag, count(*), sum(origin = 'user') FROM effective_tags e"
            " WHERE EXISTS (SELECT 1 FROM papers p WHERE p.id = e.paper_id) GROUP BY tag"
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def paper_tags(self, paper_id: str) -> dict[str, str]:
        """Effective tags of a paper with where each came from (`rule` or `user`)."""
        rows = self.conn.execute(
            "SELECT tag, origin FROM effective_tags WHERE paper_id = ? ORDER BY tag", (paper_id,)
        )
        return {row[0]: row[1] for row in rows}

    def tag_decisions(self, paper_id: str) -> dict[str, bool]:
        rows = self.conn.execute(
            "SELECT tag, assigned FROM tag_decisions WHERE paper_id = ?", (paper_id,)
        )
        return {row[0]: bool(row[1]) for row in rows}

    def decide_tags(self, paper_id: str, decisions: Mapping[str, bool | None]) -> None:
        """Record the user's tag decisions: True adds, False removes, None defers to the rules."""
        now = now_iso()
        for tag, assigned in decisions.items():
            if assigned is None:
                self.conn.execute(
                    "DELETE FROM tag_decisions WHERE paper_id = ? AND tag = ?", (paper_id, tag)
                )
            else:
                self.conn.execute(
                    "INSERT INTO tag_decisions (paper_id, tag, assigned, decided_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (paper_id, tag) DO UPDATE SET"
                    " assigned = excluded.assigned, decided_at = excluded.decided_at",
                    (paper_id, tag, int(assigned), now),
                )

    def decided_papers(self) -> list[tuple[tuple[str, str], dict[str, bool]]]:
        """The papers the user decided tags for, with their shown text and every decision."""
        rows = self.conn.execute(
            "SELECT d.paper_id, d.tag, d.assigned, c.title, c.abstract FROM tag_decisions d"
            " JOIN papers p ON p.id = d.paper_id JOIN sightings c ON c.id = p.sighting_id"
            " ORDER BY d.paper_id, d.tag"
        )
        papers: dict[str, tuple[tuple[str, str], dict[str, bool]]] = {}
        for paper, tag, assigned, title, abstract in rows:
            papers.setdefault(paper, ((title, abstract), {}))[1][tag] = bool(assigned)
        return list(papers.values())

    def background_texts(self, limit: int) -> list[tuple[str, str]]:
        """Up to `limit` papers' shown texts, the same ones each time for the same library
        (ids are hashes, so the first ones by id are a fair sample)."""
        rows = self.conn.execute(
            "SELECT c.title, c.abstract FROM papers p JOIN sightings c ON c.id = p.sighting_id"
            " WHERE NOT EXISTS (SELECT 1 FROM tag_decisions d WHERE d.paper_id = p.id)"
            " ORDER BY p.id LIMIT ?",
            (limit,),
        )
        return [(row[0], row[1]) for row in rows]
