"""townplans: docs-as-code for Chinese town-planning submissions (version only)."""

__version__ = "0.1.0"
