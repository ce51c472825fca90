"""Topic tagging: taxonomy loading, rule scoring, explanations and evaluation against gold labels.

A tag is a set of weighted rules (phrases or regexes). A paper's score for a tag is the sum of the
weights of the rules that match its title or abstract; a title match counts `title_factor` times
the rule's weight, because a topic named in the title is the paper's subject, while the abstract
also mentions side topics. The tag is assigned when the score reaches the tag's threshold, and an
assigned tag assigns the tags it `implies`. No I/O here except reading taxonomy and gold files.

- `taxonomy`: the Rule/TagDef/Taxonomy models, and loading the default and a user's TOML.
- `matching`: the prepared text and one rule's compiled matcher with its prefilters.
- `index`: the rules indexed by the words they need, the fast path of `tag_paper`.
- `scoring`: `tag_paper`, and `score_paper` with the evidence for `tags explain`.
- `evaluation`: gold labels and precision/recall against them.
"""

from papertriage.tagging.evaluation import (
    EvalReport,
    GoldItem,
    Miss,
    TagEval,
    evaluate,
    load_gold,
)
from papertriage.tagging.matching import Anchors, Needs, prepare_text
from papertriage.tagging.scoring import FieldName, RuleHit, TagScore, score_paper, tag_paper
from papertriage.tagging.taxonomy import (
    ENGINE_VERSION,
    Rule,
    TagDef,
    Taxonomy,
    default_taxonomy,
    load_taxonomy,
)

__all__ = [
    "ENGINE_VERSION",
    "Anchors",
    "EvalReport",
    "FieldName",
    "GoldItem",
    "Miss",
    "Needs",
    "Rule",
    "RuleHit",
    "TagDef",
    "TagEval",
    "TagScore",
    "Taxonomy",
    "default_taxonomy",
    "evaluate",
    "load_gold",
    "load_taxonomy",
    "prepare_text",
    "score_paper",
    "tag_paper",
]
