"""Topic tagging: rules and a learned model, explanations, and evaluation against gold labels.

A tag is a set of weighted rules (phrases or regexes). A paper's rule score for a tag is the sum
of the weights of the rules that match its title or abstract; a title match counts `title_factor`
times the rule's weight, because a topic named in the title is the paper's subject. A learned
model adds what labelled papers taught (phrasings no rule lists); `Tagger` decides each tag from
both, and an assigned tag assigns the tags it `implies`. No I/O here except reading taxonomy,
gold and model files.

- `taxonomy`: the Rule/TagDef/Taxonomy models, and loading the default and a user's TOML.
- `matching`: the prepared text and one rule's compiled matcher with its prefilters.
- `index`: the rules indexed by the words they need, the fast path of `tag_paper`.
- `scoring`: `tag_paper`, and `score_paper` with the evidence for `tags explain`.
- `evaluation`: gold labels and precision/recall against them.
- `model`: the learned side: tf-idf features, topic coordinates, a logistic model per tag.
- `tagger`: rules and model decided together, and corrections learned from the user.
- `training`: rebuilding the shipped model from the labelled papers in `data/`.
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
from papertriage.tagging.tagger import Corrections, Mode, Tagger, TaggerPool, learnable
from papertriage.tagging.taxonomy import (
    ENGINE_VERSION,
    Rule,
    TagDef,
    Taxonomy,
    default_taxonomy,
    load_taxonomy,
    taxonomy_from_text,
)

__all__ = [
    "ENGINE_VERSION",
    "Anchors",
    "Corrections",
    "EvalReport",
    "FieldName",
    "GoldItem",
    "Miss",
    "Mode",
    "Needs",
    "Rule",
    "RuleHit",
    "TagDef",
    "TagEval",
    "TagScore",
    "Tagger",
    "TaggerPool",
    "Taxonomy",
    "default_taxonomy",
    "evaluate",
    "learnable",
    "load_gold",
    "load_taxonomy",
    "prepare_text",
    "score_paper",
    "tag_paper",
    "taxonomy_from_text",
]
