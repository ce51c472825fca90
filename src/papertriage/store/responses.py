"""Identity queries: the arXiv id of each paper, and what API responses said about it."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from .base import StoreBase

ResponseEntryRow = tuple[int, str, str, str | None, int | None, str | None, int | None, str | None]
"""(sighting id, arXiv id, authors JSON, published, upvotes, GitHub repo, stars, keywords JSON)"""


class ResponseQueries(StoreBase):
    def add_response_entries(self, rows: Iterable[ResponseEntryRow]) -> None:
        """Store what each entry of a response said about its paper, beside its sighting."""
        self.conn.executemany(
            "INSERT INTO response_entries (sighting_id, arxiv_id, authors, published, upvotes,"
            " github_repo, github_stars, keywords) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def arxiv_owners(self, arxiv_ids: Iterable[str]) -> dict[str, str]:
        """The paper that has each of these arXiv ids, by id (ids no paper has are left out)."""
        rows = self.conn.execute(
            "SELECT arxiv_id, id FROM papers WHERE arxiv_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(arxiv_ids)),),
        )
        return {row[0]: row[1] for row in rows}

    def papers_arxiv(self, paper_ids: Iterable[str]) -> dict[str, str]:
        """The arXiv id of each of these papers that has one, by paper."""
        rows = self.conn.execute(
            "SELECT id, arxiv_id FROM papers WHERE id IN (SELECT value FROM json_each(?))"
            " AND arxiv_id IS NOT NULL",
            (json.dumps(list(paper_ids)),),
        )
        return {row[0]: row[1] for row in rows}

    def claim_arxiv(self, ids: Mapping[str, str]) -> None:
        """Give papers (keys) the arXiv id (values) a response gave a sighting of theirs."""
        self.conn.executemany(
            "UPDATE papers SET arxiv_id = ? WHERE id = ? AND arxiv_id IS NULL",
            ((arxiv, paper) for paper, arxiv in ids.items()),
        )

    def paper_authors(self) -> list[tuple[str, list[str]]]:
        """(paper, authors) of every paper known by its arXiv id, from its newest response."""
        rows = self.conn.execute(
            "SELECT p.id, (SELECT r.authors FROM response_entries r JOIN sightings g"
            " ON g.id = r.sighting_id WHERE r.arxiv_id = p.arxiv_id"
            " ORDER BY g.date IS NULL, g.date DESC, r.sighting_id DESC LIMIT 1)"
            " FROM papers p WHERE p.arxiv_id IS NOT NULL"
        )
        return [(row[0], json.loads(row[1])) for row in rows if row[1] is not None]

    def variant_arxiv(self, ids: Iterable[str] | None = None) -> dict[str, str]:
        """The arXiv id of the paper of each title variant (of these, if given) whose paper has
        one: the deduper never merges two of them with different ids."""
        if ids is None:
            rows = self.conn.execute(
                "SELECT v.id, p.arxiv_id FROM papers p JOIN variants v ON v.paper_id = p.id"
                " WHERE p.arxiv_id IS NOT NULL"
            )
        else:
            rows = self.conn.execute(
                "SELECT v.id, p.arxiv_id FROM variants v JOIN papers p ON p.id = v.paper_id"
                " WHERE v.id IN (SELECT value FROM json_each(?)) AND p.arxiv_id IS NOT NULL",
                (json.dumps(list(ids)),),
            )
        return {row[0]: row[1] for row in rows}

    def shared_arxiv(self, variant_id: str) -> str | None:
        """The arXiv id that responses gave both this title and another title of its paper:
        one paper under both titles, which no split may part."""
        row = self.conn.execute(
            "SELECT e.arxiv_id FROM variants v JOIN sightings g"
            " ON g.paper_id = v.paper_id AND g.key = v.key"
            " JOIN response_entries e ON e.sighting_id = g.id WHERE v.id = ?1 AND EXISTS"
            " (SELECT 1 FROM sightings h JOIN response_entries f ON f.sighting_id = h.id"
            " WHERE h.paper_id = v.paper_id AND h.key != v.key AND f.arxiv_id = e.arxiv_id)"
            " LIMIT 1",
            (variant_id,),
        ).fetchone()
        return str(row[0]) if row else None
