"""Find the entries of a library that are the same paper under slightly different titles.

Pure functions over `Entry` models, no I/O. Three steps, each measured in
`benchmarks/dedupe_quality.py` (quality) and `benchmarks/dedupe_engine_scale.py` (speed):

1. Blocking (`blocking`): every entry is filed under its rarest title words and its abstract's
   opening words; only entries that share a block are compared, so the cost grows with the
   number of entries, not its square. The titles of a block are scored at once (`pairs`, with
   rapidfuzz `cdist` on both cores), and the pairs that judging would surely drop (abstracts
   in conflict, titles too far apart to propose) are dropped as arrays, before clustering.
2. Scoring (`scoring`): rapidfuzz on the folded titles, the abstract as a second signal, and
   guards for the ways two different papers look alike (version numbers, "Part I/II", a
   generic short title). Abstract word triples are hashed once per distinct abstract text of
   a run (`Abstracts`), and kept only for the texts of pairs that need an exact score.
3. Clustering (`clustering`): pairs most alike first, each judged only if it would join two
   groups, and a join only when all members stay compatible, so that a chain A~B~C whose ends
   do not match is sent to review instead of being merged.
"""

from papertriage.dedupe.blocking import candidate_pairs
from papertriage.dedupe.clustering import collector_paused, find_duplicates
from papertriage.dedupe.models import (
    Cluster,
    Decision,
    DedupeConfig,
    DedupeResult,
    Entry,
    PairScore,
)
from papertriage.dedupe.scoring import (
    abstract_shingles,
    abstract_similarity,
    score_pair,
    series_markers,
    title_similarity,
)

__all__ = [
    "Cluster",
    "Decision",
    "DedupeConfig",
    "DedupeResult",
    "Entry",
    "PairScore",
    "abstract_shingles",
    "abstract_similarity",
    "candidate_pairs",
    "collector_paused",
    "find_duplicates",
    "score_pair",
    "series_markers",
    "title_similarity",
]
