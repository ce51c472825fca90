"""Duplicate queries: title variants and the papers they belong to, the merge log, the user's
word on pairs, and the candidates for review."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Literal

from ..errors import NotFoundError
from .base import StoreBase, VariantState, now_iso


class DupeQueries(StoreBase):
    # --- variants and dedupe ---------------------------------------------------------------

    def variant_states(self, variant_ids: Iterable[str]) -> dict[str, VariantState]:
        """The state of each known title variant (see VariantState) by its id, in one query."""
        rows = self.conn.execute(
            "SELECT v.id, v.paper_id, v.first_seen, v.sighting_id, p.id IS NOT NULL"
            " FROM variants v LEFT JOIN papers p ON p.id = v.paper_id"
            " WHERE v.id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(variant_ids)),),
        )
        return {row[0]: (row[1], row[2], row[3], bool(row[4])) for row in rows}

    def add_variants(self, rows: Iterable[tuple[str, str, str, str | None, int]]) -> None:
        """Record new title keys: (id, key, paper id, first seen, representative sighting)."""
        self.conn.executemany(
            "INSERT INTO variants (id, key, paper_id, first_seen, sighting_id)"
            " VALUES (?, ?, ?, ?, ?)",
            rows,
        )

    def update_variants(self, rows: Iterable[tuple[str | None, int | None, str]]) -> None:
        """Set (first seen, representative sighting) of known variants, by id."""
        self.conn.executemany(
            "UPDATE variants SET first_seen = ?, sighting_id = ? WHERE id = ?", rows
        )

    def pending_variants(self) -> set[str]:
        rows = self.conn.execute("SELECT id FROM variants WHERE deduped = 0")
        return {row[0] for row in rows}

    def mark_deduped(self) -> None:
        self.conn.execute("UPDATE variants SET deduped = 1 WHERE deduped = 0")

    def variant_texts(
        self, ids: Iterable[str] | None = None, after: int | None = None
    ) -> list[tuple[str, str, str, str]]:
        """(variant id, key, title, abstract) of every variant still seen, oldest first; with
        `ids` or `after`, only those variants and those after that rowid (an incremental
        dedupe's part of the library).

        The text is that of the variant's earliest sighting, its representative. Rows come as
        plain tuples: there is one per distinct title of the library, a million in a big one.
        They are sorted here, not by SQLite, whose sorter would carry every abstract along
        (about 350 MB in a million-record library: 9.4 s against 2.1 s). Equal abstracts are
        one string: versions of a paper share theirs (18 versions of each paper took 487 MB for
        100k titles).
        """
        sql = (
            "SELECT v.first_seen IS NULL, coalesce(v.first_seen, ''), v.rowid,"
            " v.id, v.key, s.title, s.abstract"
            " FROM variants v JOIN sightings s ON s.id = v.sighting_id"
        )
        wheres: list[str] = []
        params: list[int | str] = []
        if after is not None:
            wheres.append("v.rowid > ?")
            params.append(after)
        if ids is not None:
            wheres.append("v.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(ids)))
        if wheres:
            sql += " WHERE " + " OR ".join(wheres)
        cursor = self.conn.cursor()
        cursor.row_factory = None
        with self.small_cache():
            cursor.execute(sql, params)
            shared: dict[str, str] = {}
            rows = [(*row[:6], shared.setdefault(row[6], row[6])) for row in cursor]
            del shared
        rows.sort()  # rowids are distinct: the texts are never compared
        return [row[3:] for row in rows]

    def last_variant(self) -> int:
        """The rowid of the latest variant (0 in an empty library)."""
        return int(self.conn.execute("SELECT coalesce(max(rowid), 0) FROM variants").fetchone()[0])

    def variant_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM variants").fetchone()[0])

    def title_index(self) -> dict[str, bytes | int] | None:
        """The stored `TitleIndex` as its blobs, if the library has one."""
        row = self.conn.execute(
            "SELECT upto, size, words, counts, starts, postings, openings, opening_titles"
            " FROM title_index"
        ).fetchone()
        if row is None:
            return None
        names = ("upto", "size", "words", "counts", "starts", "postings", "openings")
        return dict(zip((*names, "opening_titles"), tuple(row), strict=True))

    def save_title_index(self, blobs: dict[str, bytes | int]) -> None:
        self.conn.execute("DELETE FROM title_index")
        self.conn.execute(
            "INSERT INTO title_index (id, upto, size, words, counts, starts, postings, openings,"
            " opening_titles) VALUES (1, :upto, :size, :words, :counts, :starts, :postings,"
            " :openings, :opening_titles)",
            blobs,
        )

    def variant_paper_map(self, variant_ids: Iterable[str]) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT id, paper_id FROM variants WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(variant_ids)),),
        )
        return {row[0]: row[1] for row in rows}

    def paper_variants(self, paper_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT id FROM variants WHERE paper_id = ? ORDER BY first_seen IS NULL, first_seen,"
            " rowid",
            (paper_id,),
        )
        return [row[0] for row in rows]

    def oldest_paper(self, paper_ids: Iterable[str]) -> str:
        """The paper first seen earliest (ties: created first, then id): it keeps its id."""
        ages = self.paper_ages(paper_ids)
        if not ages:
            raise NotFoundError("none of these papers is in the library")
        return min(ages, key=ages.__getitem__)

    def paper_ages(self, paper_ids: Iterable[str]) -> dict[str, tuple[bool, str, str, str]]:
        """A key per paper that sorts the oldest first: first seen (unknown last), created,
        id. The paper a merge keeps is the oldest."""
        rows = self.conn.execute(
            "SELECT id, first_seen, created_at FROM papers"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(paper_ids)),),
        )
        return {row[0]: (row[1] is None, row[1] or "", row[2], row[0]) for row in rows}

    def move_papers(self, moves: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
        """Fold each paper `source` into its `target`, all at once; return the variants that
        moved, by source.

        The user's tag decisions, status and note on a source carry over where its target has
        none (from the sources in id order); they are also kept under the source, so a later
        split gives them back. A few statements for any number of moves: a first dedupe of a
        big library moves tens of thousands of papers.
        """
        conn = self.conn
        conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS moving (source TEXT PRIMARY KEY, target TEXT)"
        )
        conn.execute("DELETE FROM temp.moving")
        conn.executemany("INSERT INTO temp.moving VALUES (?, ?)", moves)
        moved: dict[str, list[str]] = {}
        for variant, source in conn.execute(
            "SELECT v.id, v.paper_id FROM temp.moving m JOIN variants v ON v.paper_id = m.source"
            " ORDER BY m.source, v.rowid"
        ):
            moved.setdefault(source, []).append(variant)
        for table in ("variants", "sightings"):
            conn.execute(
                f"UPDATE {table} SET paper_id = (SELECT target FROM temp.moving"
                f" WHERE source = {table}.paper_id)"
                " WHERE paper_id IN (SELECT source FROM temp.moving)"
            )
        conn.execute(
            "INSERT OR IGNORE INTO tag_decisions (paper_id, tag, assigned, decided_at)"
            " SELECT m.target, t.tag, t.assigned, t.decided_at FROM temp.moving m"
            " JOIN tag_decisions t ON t.paper_id = m.source ORDER BY m.source"
        )
        conn.execute(
            "INSERT OR IGNORE INTO paper_status (paper_id, status, note, changed_at)"
            " SELECT m.target, s.status, s.note, s.changed_at FROM temp.moving m"
            " JOIN paper_status s ON s.paper_id = m.source ORDER BY m.source"
        )
        conn.execute("DELETE FROM papers WHERE id IN (SELECT source FROM temp.moving)")
        return moved

    def detach_variant(self, variant_id: str) -> str:
        """Make a variant its own paper again (under its own id); return the paper it left."""
        row = self.conn.execute(
            "SELECT key, paper_id FROM variants WHERE id = ?", (variant_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no paper with id {variant_id}")
        key, old = row
        self.conn.execute("UPDATE variants SET paper_id = id WHERE id = ?", (variant_id,))
        self.conn.execute(
            "INSERT OR IGNORE INTO papers (id, created_at) VALUES (?, ?)", (variant_id, now_iso())
        )
        self.conn.execute(
            "UPDATE sightings SET paper_id = ? WHERE paper_id = ? AND key = ?",
            (variant_id, old, key),
        )
        self.conn.execute(
            "UPDATE merges SET undone_at = ? WHERE variant_id = ? AND undone_at IS NULL",
            (now_iso(), variant_id),
        )
        return str(old)

    def log_merges(
        self,
        rows: Iterable[tuple[str, str, Literal["auto", "user"], float | None, float | None, str]],
    ) -> None:
        """Log merges: (paper, variant moved into it, origin, title and abstract score, reason)."""
        merged_at = now_iso()
        self.conn.executemany(
            "INSERT INTO merges (paper_id, variant_id, origin, title_score, abstract_score,"
            " reason, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((*row, merged_at) for row in rows),
        )

    def merge_log(self, paper_id: str) -> list[sqlite3.Row]:
        """The merges in force that built this paper, oldest first."""
        return self.conn.execute(
            "SELECT m.variant_id, m.origin, m.title_score, m.abstract_score, m.reason,"
            " m.merged_at FROM merges m JOIN variants v ON v.id = m.variant_id"
            " WHERE v.paper_id = ? AND m.undone_at IS NULL ORDER BY m.id",
            (paper_id,),
        ).fetchall()

    def decide_pair(self, a: str, b: str, same: bool) -> None:
        low, high = sorted((a, b))
        self.conn.execute(
            "INSERT INTO dupe_decisions (a, b, same, decided_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (a, b) DO UPDATE SET same = excluded.same,"
            " decided_at = excluded.decided_at",
            (low, high, int(same), now_iso()),
        )
        self.conn.execute("DELETE FROM dupe_candidates WHERE a = ? AND b = ?", (low, high))

    def decided_merges(self) -> list[tuple[str, str, str, str]]:
        """(a, b, paper of a, paper of b) of each pair the user called one paper whose titles
        are both in the library but still in two papers (decided before they arrived)."""
        rows = self.conn.execute(
            "SELECT d.a, d.b, va.paper_id, vb.paper_id FROM dupe_decisions d"
            " JOIN variants va ON va.id = d.a JOIN variants vb ON vb.id = d.b"
            " JOIN papers pa ON pa.id = va.paper_id JOIN papers pb ON pb.id = vb.paper_id"
            " WHERE d.same = 1 AND va.paper_id != vb.paper_id ORDER BY d.a, d.b"
        )
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def kept_apart(self, paper_a: str, paper_b: str) -> bool:
        """Whether the user called a title of one paper and a title of the other distinct."""
        row = self.conn.execute(
            "SELECT 1 FROM dupe_decisions d JOIN variants va ON va.id = d.a"
            " JOIN variants vb ON vb.id = d.b WHERE d.same = 0"
            " AND ((va.paper_id = ?1 AND vb.paper_id = ?2)"
            " OR (va.paper_id = ?2 AND vb.paper_id = ?1)) LIMIT 1",
            (paper_a, paper_b),
        ).fetchone()
        return row is not None

    def forget_distinct(self, paper_a: str, paper_b: str) -> None:
        """Drop every "not duplicates" between a title of one paper and a title of the other."""
        self.conn.execute(
            "DELETE FROM dupe_decisions WHERE same = 0 AND EXISTS (SELECT 1 FROM variants va"
            " JOIN variants vb ON vb.id = dupe_decisions.b WHERE va.id = dupe_decisions.a"
            " AND ((va.paper_id = ?1 AND vb.paper_id = ?2)"
            " OR (va.paper_id = ?2 AND vb.paper_id = ?1)))",
            (paper_a, paper_b),
        )

    def decide_pairs(self, rows: Iterable[tuple[str, str, bool, str]]) -> None:
        """Record decisions on pairs (a, b, same, decided at) as they were made, newest winning."""
        self.conn.executemany(
            "INSERT INTO dupe_decisions (a, b, same, decided_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (a, b) DO UPDATE SET same = excluded.same,"
            " decided_at = excluded.decided_at WHERE excluded.decided_at >= decided_at",
            ((min(a, b), max(a, b), int(same), when) for a, b, same, when in rows),
        )

    def distinct_pairs(self) -> list[tuple[str, str]]:
        rows = self.conn.execute("SELECT a, b FROM dupe_decisions WHERE same = 0")
        return [(row[0], row[1]) for row in rows]

    def add_candidates(self, rows: Iterable[tuple[str, str, float, float | None, str]]) -> None:
        """Remember possible duplicates for review, unless the user already decided the pair."""
        self.conn.executemany(
            "INSERT INTO dupe_candidates (a, b, title_score, abstract_score, reason)"
            " SELECT ?1, ?2, ?3, ?4, ?5 WHERE NOT EXISTS"
            " (SELECT 1 FROM dupe_decisions d WHERE d.a = ?1 AND d.b = ?2)"
            " ON CONFLICT (a, b) DO UPDATE SET title_score = excluded.title_score,"
            " abstract_score = excluded.abstract_score, reason = excluded.reason",
            rows,
        )

    def candidates(self) -> list[sqlite3.Row]:
        """Open review pairs: the two variants are still in different papers."""
        return self.conn.execute(
            "SELECT c.a, c.b, va.paper_id AS paper_a, vb.paper_id AS paper_b, c.title_score,"
            " c.abstract_score, c.reason FROM dupe_candidates c"
            " JOIN variants va ON va.id = c.a JOIN variants vb ON vb.id = c.b"
            " JOIN papers pa ON pa.id = va.paper_id JOIN papers pb ON pb.id = vb.paper_id"
            " WHERE va.paper_id != vb.paper_id ORDER BY c.title_score DESC, c.a, c.b"
        ).fetchall()

    def variant_title(self, variant_id: str) -> str:
        row = self.conn.execute(
            "SELECT s.title FROM variants v JOIN sightings s ON s.id = v.sighting_id"
            " WHERE v.id = ?",
            (variant_id,),
        ).fetchone()
        return str(row[0]) if row else ""

    def duplicated_papers(self, min_seen: int, *, varied: bool = False) -> list[str]:
        """Papers seen at least `min_seen` times, most seen first; `varied`: only those seen
        under more than one title."""
        rows = self.conn.execute(
            "SELECT id FROM papers p WHERE seen >= ?1 AND (NOT ?2 OR (SELECT count(DISTINCT"
            " g.title) FROM sightings g WHERE g.paper_id = p.id) > 1)"
            " ORDER BY seen DESC, last_seen DESC, id",
            (min_seen, varied),
        )
        return [row[0] for row in rows]

    def sightings_with_keys(self, paper_id: str) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT s.name AS source, g.date, g.position, g.line, g.title, g.key"
            " FROM sightings g JOIN sources s ON s.id = g.source_id WHERE g.paper_id = ?"
            " ORDER BY g.date IS NULL, g.date, s.name, g.position",
            (paper_id,),
        ).fetchall()
