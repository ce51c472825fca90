"""Paper queries: sources, sightings, the papers they make, listing, detail, stats, search."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from ..errors import AmbiguousIdError, NotFoundError, SearchQueryError
from ..models import Paper, PaperDetail, Sighting, paper_links
from .base import (
    GUESSED,
    PaperFilter,
    SightingRow,
    SourceRow,
    Stats,
    YearFrom,
    _date,
    now_iso,
)
from .triage import TriageQueries

_NEWER_TEXT = """(excluded.last_seen >= last_seen OR last_seen IS NULL)
    AND (SELECT c.title, c.abstract FROM sightings c WHERE c.id = sighting_id) IS NOT (?5, ?6)"""


_SHOWN_TITLE = "(SELECT c.title FROM sightings c WHERE c.id = sighting_id)"
_TAKES_NEW = f"""CASE WHEN {_SHOWN_TITLE} = ?5 THEN {_NEWER_TEXT}
    ELSE ((SELECT count(*) FROM sightings h WHERE h.paper_id = ?1 AND h.title = ?5),
          (SELECT min(coalesce(h.date, '9999')) FROM sightings h
           WHERE h.paper_id = ?1 AND h.title = {_SHOWN_TITLE}))
       > ((SELECT count(*) FROM sightings h WHERE h.paper_id = ?1 AND h.title = {_SHOWN_TITLE}),
          (SELECT min(coalesce(h.date, '9999')) FROM sightings h
           WHERE h.paper_id = ?1 AND h.title = ?5)) END"""
"""Whether a new sighting (?5 title, ?6 abstract) becomes the one its paper (?1) shows: with the
title shown, if it is as new and says something else; with another title, if that title is now
seen more often than the one shown, or as often and first seen earlier."""
_FOLD_IN = f"""
INSERT INTO papers (id, sighting_id, seen, first_seen, last_seen, created_at)
VALUES (?1, ?2, 1, ?3, ?3, ?4)
ON CONFLICT (id) DO UPDATE SET
  seen = seen + 1,
  first_seen = CASE WHEN first_seen IS NULL OR excluded.first_seen < first_seen
               THEN coalesce(excluded.first_seen, first_seen) ELSE first_seen END,
  last_seen = CASE WHEN last_seen IS NULL OR excluded.last_seen > last_seen
              THEN coalesce(excluded.last_seen, last_seen) ELSE last_seen END,
  sighting_id = CASE WHEN {_TAKES_NEW} THEN excluded.sighting_id ELSE sighting_id END,
  tagged_with = CASE WHEN {_TAKES_NEW} THEN NULL ELSE tagged_with END
"""
"""Fold a sighting (?1 paper, ?2 id, ?3 date, ?4 now, ?5 title, ?6 abstract) into its paper."""
_UPVOTES = (
    "coalesce((SELECT max(u.upvotes) FROM response_entries u WHERE u.arxiv_id = p.arxiv_id), -1)"
)
"""A paper's upvotes for sorting: the most any response gave it; none (-1) sorts last."""
_BEST = f"p.seen DESC, {_UPVOTES} DESC, p.last_seen IS NULL, p.last_seen DESC, p.id"
"""Triage order (`next`, `--sort best`): seen in most dumps, then most upvoted, then newest."""
BestKey = tuple[str, int, int, str | None]
"""(paper id, seen, upvotes, last seen): where a paper stands in `_BEST`."""


def _where(clauses: list[str]) -> str:
    return " WHERE " + " AND ".join(clauses) if clauses else ""


class PaperQueries(TriageQueries):
    # --- sources -------------------------------------------------------------------------

    def source_by_path(self, path: str) -> SourceRow | None:
        row = self.conn.execute(
            "SELECT id, path, name, sha256, year_from FROM sources WHERE path = ?", (path,)
        ).fetchone()
        return SourceRow(**dict(row)) if row else None

    def has_source(self, path_or_name: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM sources WHERE path = ?1 OR name = ?1 LIMIT 1", (path_or_name,)
        ).fetchone()
        return row is not None

    def source_names(self) -> list[str]:
        """The file name of every stored dump."""
        return [row[0] for row in self.conn.execute("SELECT DISTINCT name FROM sources")]

    def source_hashes(self) -> dict[str, str]:
        """The sha256 of every stored dump, by resolved path."""
        return {row[0]: row[1] for row in self.conn.execute("SELECT path, sha256 FROM sources")}

    def source_by_sha256(self, sha256: str) -> SourceRow | None:
        row = self.conn.execute(
            "SELECT id, path, name, sha256, year_from FROM sources WHERE sha256 = ? LIMIT 1",
            (sha256,),
        ).fetchone()
        return SourceRow(**dict(row)) if row else None

    def delete_source(self, source_id: int) -> list[str]:
        """Remove a source and its sightings; return the papers they belonged to.

        A variant whose representative sighting goes takes its next earliest one (none: NULL,
        until a dump shows that title again).
        """
        conn = self.conn
        papers = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT paper_id FROM sightings WHERE source_id = ?", (source_id,)
            )
        ]
        orphaned = json.dumps(
            [
                row[0]
                for row in conn.execute(
                    "SELECT v.id FROM sightings g JOIN variants v"
                    " ON v.paper_id = g.paper_id AND v.key = g.key"
                    " WHERE g.source_id = ? AND v.sighting_id = g.id",
                    (source_id,),
                )
            ]
        )
        conn.execute("DELETE FROM sightings WHERE source_id = ?", (source_id,))
        conn.execute("DELETE FROM sources WHERE id = ?", (source_id,))
        conn.execute(
            "UPDATE variants SET sighting_id = (SELECT min(g.id) FROM sightings g"
            " WHERE g.paper_id = variants.paper_id AND g.key = variants.key)"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (orphaned,),
        )
        return papers

    def add_source(self, path: str, name: str, sha256: str) -> int:
        cursor = self.conn.execute(
            "INSERT INTO sources (path, name, sha256, records, ingested_at) VALUES (?, ?, ?, 0, ?)",
            (path, name, sha256, now_iso()),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish_source(
        self,
        source_id: int,
        records: int,
        header_date: str | None,
        date: str | None,
        year_from: YearFrom | None,
    ) -> None:
        """Record what the file held: its record count, first date line (ISO date) and where
        its year came from."""
        self.conn.execute(
            "UPDATE sources SET records = ?, header_date = ?, date = ?, year_from = ? WHERE id = ?",
            (records, header_date, date, year_from, source_id),
        )

    def guessed_sources(self) -> list[tuple[int, str, YearFrom]]:
        """(id, name, how) of the dumps whose year was guessed."""
        marks = ", ".join("?" * len(GUESSED))
        rows = self.conn.execute(
            f"SELECT id, name, year_from FROM sources WHERE year_from IN ({marks}) ORDER BY id",
            GUESSED,
        )
        return [(row[0], row[1], row[2]) for row in rows]

    def source_evidence(self, source_id: int) -> list[tuple[str, str | None]]:
        """(date line, first seen) of each paper of a dump: the earliest date it has in a dump
        whose year is not guessed (None: it has none)."""
        marks = ", ".join("?" * len(GUESSED))
        rows = self.conn.execute(
            "SELECT g.header_date, (SELECT min(o.date) FROM sightings o"
            " JOIN sources s ON s.id = o.source_id WHERE o.paper_id = g.paper_id"
            f" AND coalesce(s.year_from, '') NOT IN ({marks})) FROM sightings g"
            " WHERE g.source_id = ? AND g.header_date IS NOT NULL",
            (*GUESSED, source_id),
        )
        return [(row[0], row[1]) for row in rows]

    def source_dates(self, source_id: int) -> dict[str, str]:
        """The date each date line of a dump resolved to."""
        rows = self.conn.execute(
            "SELECT DISTINCT header_date, date FROM sightings"
            " WHERE source_id = ? AND header_date IS NOT NULL AND date IS NOT NULL",
            (source_id,),
        )
        return {row[0]: row[1] for row in rows}

    def redate_source(
        self, source_id: int, dates: Mapping[str, str], year_from: YearFrom
    ) -> list[str]:
        """Give a dump's date lines new dates (by date line) and say where its year came from;
        return its papers, whose summaries the caller refreshes."""
        conn = self.conn
        conn.executemany(
            "UPDATE sightings SET date = ? WHERE source_id = ? AND header_date = ?",
            ((date, source_id, header) for header, date in dates.items()),
        )
        conn.execute(
            "UPDATE sources SET year_from = ?1, date = (SELECT date FROM sightings"
            " WHERE source_id = ?2 ORDER BY position LIMIT 1) WHERE id = ?2",
            (year_from, source_id),
        )
        papers = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT paper_id FROM sightings WHERE source_id = ?", (source_id,)
            )
        ]
        if dates:
            conn.execute(
                "UPDATE variants SET first_seen = (SELECT min(g.date) FROM sightings g"
                " WHERE g.paper_id = variants.paper_id AND g.key = variants.key)"
                " WHERE paper_id IN (SELECT value FROM json_each(?))",
                (json.dumps(papers),),
            )
        return papers

    # --- papers and sightings ------------------------------------------------------------

    def next_sighting_id(self) -> int:
        """The id the next sighting gets; only meaningful inside a write transaction."""
        return int(
            self.conn.execute("SELECT coalesce(max(id), 0) + 1 FROM sightings").fetchone()[0]
        )

    def add_sightings(self, rows: Sequence[SightingRow], new_papers: Collection[str]) -> None:
        """Store sightings and fold each into its paper's summary.

        `new_papers` are the papers of these rows that the library does not have yet: each is
        created from its first row with a plain insert, which costs half an upsert, and before
        its sightings, which then find it at once. This is the only place papers are created
        showing a sighting, so it queues them for the search index, as one range of sighting
        ids. (A split makes a paper with none yet: the update that gives it one queues it.)
        Summaries are updated incrementally here; `refresh_papers` recomputes them from scratch
        when sightings are removed. A sighting becomes the one whose title and abstract the
        paper shows when its title becomes the best (`refresh_papers`), or when it has the title
        shown and is at least as new as the paper's last one (ties: the later one, as in
        refresh), unless it shows the very same text: most sightings are repeats, and moving
        the paper to another sighting would re-index its search entry and retag it for nothing.
        """
        created = now_iso()
        first: list[SightingRow] = []
        rest: list[SightingRow] = []
        pending = set(new_papers)
        for row in rows:
            if row[9] in pending:
                pending.discard(row[9])
                first.append(row)
            else:
                rest.append(row)
        if first:
            self.conn.executemany(
                "INSERT INTO papers (id, sighting_id, seen, first_seen, last_seen, created_at)"
                " VALUES (?, ?, 1, ?, ?, ?)",
                ((r[9], r[0], r[5], r[5], created) for r in first),
            )
            self.conn.execute(
                "INSERT INTO fts_queue (new_rowid, last_rowid) VALUES (?, ?)",
                (min(r[0] for r in first), max(r[0] for r in first)),
            )
        self.conn.executemany(
            "INSERT INTO sightings (id, source_id, position, line, header_date, date, title,"
            " abstract, key, paper_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        if rest:
            self.conn.executemany(_FOLD_IN, ((r[9], r[0], r[5], created, r[6], r[7]) for r in rest))

    def refresh_papers(self, paper_ids: Iterable[str]) -> None:
        """Recompute what a paper shows from its sightings; drop papers left with none.

        A paper shows its best title, the one seen most, else the one seen first (a typo in
        one dump does not win over the title seen before it), with the abstract of its newest
        sighting under that title.
        """
        conn = self.conn
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS touched (id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM temp.touched")
        conn.executemany("INSERT OR IGNORE INTO temp.touched VALUES (?)", ((p,) for p in paper_ids))
        conn.execute(
            """
            UPDATE papers SET
              seen = (SELECT count(*) FROM sightings g WHERE g.paper_id = papers.id),
              first_seen = (SELECT min(date) FROM sightings g WHERE g.paper_id = papers.id),
              last_seen = (SELECT max(date) FROM sightings g WHERE g.paper_id = papers.id),
              sighting_id = (SELECT id FROM sightings g WHERE g.paper_id = papers.id
                             ORDER BY (SELECT count(*) FROM sightings h
                                       WHERE h.paper_id = g.paper_id AND h.title = g.title) DESC,
                                      (SELECT min(coalesce(h.date, '9999')) FROM sightings h
                                       WHERE h.paper_id = g.paper_id AND h.title = g.title),
                                      g.date IS NULL, g.date DESC, g.id DESC LIMIT 1),
              arxiv_id = (SELECT min(e.arxiv_id) FROM sightings g JOIN response_entries e
                          ON e.sighting_id = g.id WHERE g.paper_id = papers.id),
              tagged_with = NULL
            WHERE id IN (SELECT id FROM temp.touched)
            """
        )
        conn.execute("DELETE FROM papers WHERE id IN (SELECT id FROM temp.touched) AND seen = 0")

    def resolve_variant(self, text: str) -> tuple[str, str]:
        """(variant id, paper id) for a full id or unique prefix, like git.

        Any id a paper ever had resolves: a merged paper's other ids lead to it.
        """
        prefix = text.strip().lower()
        if not prefix or any(ch not in "0123456789abcdef" for ch in prefix):
            raise NotFoundError(f"{text!r} is not a paper id (ids are hex, e.g. 3f2a9c1b)")
        rows = self.conn.execute(
            "SELECT v.id, v.paper_id FROM variants v JOIN papers p ON p.id = v.paper_id"
            " WHERE v.id >= ? AND v.id < ? ORDER BY v.id LIMIT 50",
            (prefix, prefix + "g"),
        ).fetchall()
        papers = sorted({row[1] for row in rows})
        if not papers:
            raise NotFoundError(f"no paper with id {text}")
        if len(papers) > 1:
            shown = ", ".join(papers[:5])
            raise AmbiguousIdError(f"id prefix {text} is ambiguous: {shown}; give more characters")
        exact = [row for row in rows if row[0] == prefix]
        chosen = exact[0] if exact else (rows[0] if len(rows) == 1 else (papers[0], papers[0]))
        return str(chosen[0]), str(chosen[1])

    def resolve_id(self, text: str) -> str:
        """A paper id from any id it ever had, or a unique prefix of one."""
        return self.resolve_variant(text)[1]

    def _paper(self, row: sqlite3.Row) -> Paper:
        names = row["sources"].split("\x1f") if row["sources"] else []
        tags = row["tags"].split("\x1f") if row["tags"] else []
        about: dict[str, Any] = {}
        if row["arxiv_id"] is not None:
            authors, published, github, stars, keywords, upvotes = json.loads(row["response"])
            about = {
                "arxiv_id": row["arxiv_id"],
                "url": paper_links(row["arxiv_id"])[0],
                "authors": authors,
                "published": _date(published),
                "upvotes": upvotes,
                "github": github,
                "github_stars": stars,
                "keywords": keywords or [],
            }
        return Paper(
            id=row["id"],
            title=row["title"],
            abstract=row["abstract"],
            seen=row["seen"],
            first_seen=_date(row["first_seen"]),
            last_seen=_date(row["last_seen"]),
            sources=names,
            tags=tags,
            status=row["status"],
            note=row["note"],
            **about,
        )

    _PAPER_COLUMNS = """
        p.id, c.title, c.abstract, p.seen, p.first_seen, p.last_seen,
        (SELECT group_concat(name, char(31)) FROM (
            SELECT DISTINCT s.name FROM sightings g JOIN sources s ON s.id = g.source_id
            WHERE g.paper_id = p.id ORDER BY s.name)) AS sources,
        (SELECT group_concat(tag, char(31)) FROM (
            SELECT tag FROM effective_tags e WHERE e.paper_id = p.id ORDER BY tag)) AS tags,
        coalesce(st.status, 'new') AS status, st.note AS note, p.arxiv_id,
        (SELECT json_array(json(r.authors), r.published, r.github_repo, r.github_stars,
                           json(r.keywords), (SELECT max(u.upvotes) FROM response_entries u
                                              WHERE u.arxiv_id = p.arxiv_id))
         FROM response_entries r JOIN sightings g ON g.id = r.sighting_id
         WHERE r.arxiv_id = p.arxiv_id
         ORDER BY g.date IS NULL, g.date DESC, r.sighting_id DESC LIMIT 1) AS response
    """
    """A paper's columns; `response` is what the newest response about it said (authors,
    published, GitHub repo and stars, keywords) with the most upvotes any gave it."""

    _PAPERS = (
        "papers p JOIN sightings c ON c.id = p.sighting_id"
        " LEFT JOIN paper_status st ON st.paper_id = p.id"
    )

    def list_papers(self, where: PaperFilter) -> list[Paper]:
        clauses, params = self._filter(where)
        order = {
            # DESC puts papers never dated (NULL) last; said so rather than with `IS NULL`
            # first, the index on last_seen gives the newest papers without sorting them all.
            "date": "p.last_seen DESC, p.seen DESC, c.title",
            "title": "c.title COLLATE NOCASE, p.id",
            # The trending signal: seen in most dumps, then most upvoted, then newest.
            "seen": f"p.seen DESC, {_UPVOTES} DESC, p.last_seen DESC, c.title",
            "best": _BEST,
            "upvotes": f"{_UPVOTES} DESC, p.seen DESC, p.last_seen IS NULL, p.last_seen DESC, p.id",
        }[where.sort]
        sql = f"SELECT {self._PAPER_COLUMNS} FROM {self._PAPERS}{_where(clauses)} ORDER BY {order}"
        if where.limit is not None:
            sql += " LIMIT ?"
            params.append(where.limit)
        return [self._paper(row) for row in self.conn.execute(sql, params)]

    _SELECTED = "papers p LEFT JOIN paper_status st ON st.paper_id = p.id"
    """`_PAPERS` without their text, for counting and choosing papers: reading the sighting
    each paper shows cost a random read per paper (a third of a second at 230,000 papers).
    The same papers: every paper shows one of its sightings (`check` verifies it)."""

    def count_papers(self, where: PaperFilter) -> int:
        """How many papers the filter matches, whatever its limit."""
        clauses, params = self._filter(where)
        sql = f"SELECT count(*) FROM {self._SELECTED}{_where(clauses)}"
        return int(self.conn.execute(sql, params).fetchone()[0])

    def matching_ids(self, where: PaperFilter) -> set[str]:
        """The papers the filter matches, whatever its limit: ids only, no summaries."""
        clauses, params = self._filter(where)
        sql = f"SELECT p.id FROM {self._SELECTED}{_where(clauses)}"
        return {row[0] for row in self.conn.execute(sql, params)}

    def best_page(self, where: PaperFilter, after: BestKey | None = None) -> list[BestKey]:
        """The first `where.limit` papers the filter matches in `best` order (after the paper
        whose key is `after`), as sort keys, not summaries: `next` walks a big library a page
        at a time, and the index on `seen` finds each page without sorting every paper."""
        clauses, params = self._filter(where)
        if after is not None:
            paper, seen, upvotes, last_seen = after
            dated, day = last_seen is not None, last_seen or ""
            # Strictly after `after` in _BEST: (seen, upvotes) down, (undated, day) down, id up.
            clauses.append(
                "p.seen <= ? AND (p.seen < ? OR p.seen = ? AND (upvotes < ? OR upvotes = ? AND"
                " ((p.last_seen IS NOT NULL) < ? OR (p.last_seen IS NOT NULL) = ? AND"
                " (coalesce(p.last_seen, '') < ? OR coalesce(p.last_seen, '') = ? AND p.id > ?))))"
            )
            params += [seen, seen, seen, upvotes, upvotes, dated, dated, day, day, paper]
        sql = (
            f"SELECT p.id, p.seen, {_UPVOTES} AS upvotes, p.last_seen FROM {self._SELECTED}"
            f"{_where(clauses)} ORDER BY {_BEST}"
        )
        if where.limit is not None:
            sql += " LIMIT ?"
            params.append(where.limit)
        return [(row[0], row[1], row[2], row[3]) for row in self.conn.execute(sql, params)]

    def _filter(self, where: PaperFilter) -> tuple[list[str], list[Any]]:
        """The conditions of a filter, its limit aside, and their parameters."""
        clauses: list[str] = []
        params: list[Any] = []
        if where.since is not None and where.until is not None:
            # Seen in the window: a paper seen before it and again after it was not.
            clauses.append(
                "EXISTS (SELECT 1 FROM sightings g WHERE g.paper_id = p.id"
                " AND g.date BETWEEN ? AND ?)"
            )
            params += [where.since.isoformat(), where.until.isoformat()]
        elif where.since is not None:
            clauses.append("p.last_seen >= ?")
            params.append(where.since.isoformat())
        elif where.until is not None:
            clauses.append("p.first_seen <= ?")
            params.append(where.until.isoformat())
        if where.seen_min is not None:
            clauses.append("p.seen >= ?")
            params.append(where.seen_min)
        if where.source is not None:
            clauses.append(
                "EXISTS (SELECT 1 FROM sightings g JOIN sources s ON s.id = g.source_id"
                " WHERE g.paper_id = p.id AND (s.path = ? OR s.name = ?))"
            )
            params += [where.source, where.source]
        for tag in where.tags:
            clauses.append(
                "EXISTS (SELECT 1 FROM effective_tags e WHERE e.paper_id = p.id AND e.tag = ?)"
            )
            params.append(tag)
        if where.any_tags:
            marks = ", ".join("?" * len(where.any_tags))
            clauses.append(
                "EXISTS (SELECT 1 FROM effective_tags e WHERE e.paper_id = p.id"
                f" AND e.tag IN ({marks}))"
            )
            params += where.any_tags
        if where.untagged:
            clauses.append("NOT EXISTS (SELECT 1 FROM effective_tags e WHERE e.paper_id = p.id)")
        if where.statuses:
            marks = ", ".join("?" * len(where.statuses))
            clauses.append(f"coalesce(st.status, 'new') IN ({marks})")
            params += where.statuses
        if where.ids is not None:
            clauses.append("p.id IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(where.ids))
        return clauses, params

    def paper_detail(self, paper_id: str) -> PaperDetail:
        row = self.conn.execute(
            f"SELECT {self._PAPER_COLUMNS} FROM {self._PAPERS} WHERE p.id = ?", (paper_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no paper with id {paper_id}")
        sightings = [
            Sighting(
                source=s["name"],
                date=_date(s["date"]),
                position=s["position"],
                line=s["line"],
                title=s["title"],
                abstract=s["abstract"],
            )
            for s in self.conn.execute(
                "SELECT s.name, g.date, g.position, g.line, g.title, g.abstract"
                " FROM sightings g JOIN sources s ON s.id = g.source_id"
                " WHERE g.paper_id = ? ORDER BY g.date IS NULL, g.date, s.name, g.position",
                (paper_id,),
            )
        ]
        return PaperDetail(
            **self._paper(row).model_dump(),
            sightings=sightings,
            tag_origins=self.paper_tags(paper_id),
        )

    def stats(self, top: int = 10) -> Stats:
        conn = self.conn
        papers, repeated, first, last = conn.execute(
            "SELECT count(*), sum(seen > 1), min(first_seen), max(last_seen) FROM papers"
        ).fetchone()
        sightings = conn.execute("SELECT count(*) FROM sightings").fetchone()[0]
        sources = conn.execute("SELECT count(*) FROM sources").fetchone()[0]
        most = self.list_papers(PaperFilter(seen_min=2, sort="seen", limit=top))
        return Stats(
            papers=papers,
            sightings=sightings,
            sources=sources,
            first_date=_date(first),
            last_date=_date(last),
            repeated=repeated or 0,
            most_seen=most,
            per_status=self.status_counts(),
            per_tag={tag: count for tag, (count, _) in sorted(self.tag_counts().items())},
            dumps_per_month=dict(self.dumps_per_month()),
        )

    def paper_text(self, paper_id: str) -> tuple[str, str]:
        row = self.conn.execute(
            "SELECT c.title, c.abstract FROM papers p JOIN sightings c ON c.id = p.sighting_id"
            " WHERE p.id = ?",
            (paper_id,),
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no paper with id {paper_id}")
        return row[0], row[1]

    # --- search ------------------------------------------------------------------------------

    def search_index_pending(self) -> bool:
        return self.conn.execute("SELECT 1 FROM fts_queue LIMIT 1").fetchone() is not None

    def sync_search_index(self) -> None:
        """Bring the search index in step with the papers' canonical text (one transaction)."""
        if not self.search_index_pending():
            return
        with self.atomic():
            conn = self.conn
            # Every sighting the queue names (a range: those of new papers) is dropped from the
            # index, then those that papers show are indexed again, each once.
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS fts_touched (id INTEGER PRIMARY KEY)")
            conn.execute("DELETE FROM temp.fts_touched")
            conn.execute(
                "INSERT OR IGNORE INTO temp.fts_touched"
                " SELECT old_rowid FROM fts_queue WHERE old_rowid IS NOT NULL"
                " UNION ALL SELECT new_rowid FROM fts_queue"
                " WHERE new_rowid IS NOT NULL AND last_rowid IS NULL"
                " UNION ALL SELECT g.id FROM fts_queue q JOIN sightings g"
                " ON g.id BETWEEN q.new_rowid AND q.last_rowid"
            )
            conn.execute("DELETE FROM papers_fts WHERE rowid IN (SELECT id FROM temp.fts_touched)")
            conn.execute(
                "INSERT INTO papers_fts (rowid, title, abstract)"
                " SELECT c.id, c.title, c.abstract FROM sightings c WHERE c.id IN"
                " (SELECT id FROM temp.fts_touched)"
                " AND EXISTS (SELECT 1 FROM papers p WHERE p.sighting_id = c.id)"
            )
            conn.execute("DELETE FROM fts_queue")

    def dumps_per_month(self) -> list[tuple[str, int]]:
        rows = self.conn.execute(
            "SELECT substr(date, 1, 7) AS month, count(*) FROM sources WHERE date IS NOT NULL"
            " GROUP BY month ORDER BY month"
        )
        return [(row[0], row[1]) for row in rows]

    def search(self, query: str) -> list[tuple[str, float]]:
        """(paper id, rank) of every match, best first: bm25 weighs a title match ten times an
        abstract match. Marking the words matched is `search_marks`'s, for the few shown."""
        sql = (
            "SELECT p.id, bm25(papers_fts, 10.0, 1.0) AS rank"
            " FROM papers_fts JOIN papers p ON p.sighting_id = papers_fts.rowid"
            " WHERE papers_fts MATCH ? ORDER BY rank"
        )
        try:
            return [(r[0], r[1]) for r in self.conn.execute(sql, (query,))]
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorcode", -1) != sqlite3.SQLITE_ERROR:
                raise
            raise SearchQueryError(str(exc)) from None

    def search_marks(self, query: str, paper_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """(highlighted title, abstract snippet) of papers `search` found with this query.

        Highlights are marked with the private-use characters U+E000 (start) and U+E001 (end)
        for the renderer to style. Made for the papers shown only: for every match, they took
        twenty times as long as the search.
        """
        rows = self.conn.execute(
            "SELECT p.id, highlight(papers_fts, 0, char(57344), char(57345)),"
            " snippet(papers_fts, 1, char(57344), char(57345), '…', 24)"
            # CROSS JOIN: from the papers to their index entries, not through every match.
            " FROM papers p CROSS JOIN papers_fts ON papers_fts.rowid = p.sighting_id"
            " WHERE p.id IN (SELECT value FROM json_each(?)) AND papers_fts MATCH ?",
            (json.dumps(list(paper_ids)), query),
        )
        return {row[0]: (row[1], row[2]) for row in rows}

    def titles(self) -> list[tuple[str, str]]:
        """(paper id, title) of every paper, for matching a title fragment."""
        return [
            (row[0], row[1])
            for row in self.conn.execute(
                "SELECT p.id, c.title FROM papers p JOIN sightings c ON c.id = p.sighting_id"
            )
        ]
