"""Writers that turn papers into files other programs read: BibTeX, a markdown digest, CSV, JSON.

Pure: each writer takes papers and a text stream and writes to nothing else, so the CLI decides
where the output goes (stdout or `-o FILE`) and tests can write to a `StringIO`. Titles and
abstracts come from web pages pasted into dumps, so every format treats them as data: escaped for
LaTeX, markdown and spreadsheets, never trusted as markup.

`bibtex` and `digest` hold the two prose formats, `tables` the CSV and JSON ones; `text` the
clean-up they share.
"""

from .bibtex import bibtex_author, bibtex_key, bibtex_keys, bibtex_text, write_bibtex
from .digest import markdown_text, write_markdown
from .tables import CSV_COLUMNS, write_csv, write_json, write_jsonl, write_table

__all__ = [
    "CSV_COLUMNS",
    "bibtex_author",
    "bibtex_key",
    "bibtex_keys",
    "bibtex_text",
    "markdown_text",
    "write_bibtex",
    "write_csv",
    "write_json",
    "write_jsonl",
    "write_markdown",
    "write_table",
]
