"""papertriage: a clean, deduplicated, tagged library from Hugging Face Daily Papers dumps."""

__version__ = "0.1.0"
