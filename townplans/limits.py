"""Every limit townplans puts on untrusted input, in one place.

Content comes from six towns and their design institutes, and build folders and packages travel
between offices, so every size, count, depth and range the tool accepts is bounded. Each limit is a
constant here with the reason for its value; the code that enforces it turns a hit into a located
Chinese finding (never a hang, a traceback or gigabytes of memory). The README's "Limits" table is
generated from these docstrings' first lines (``townplans.limits.table()``).

The values are far above anything a real submission needs: a town's whole master plan is about
200 KB of Markdown, its largest table about 60 rows, its largest photo 50 megapixels.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import sys

# -- files ------------------------------------------------------------------------------------------

MAX_TEXT_FILE_BYTES = 5 * 1024 * 1024
"""Markdown or YAML file size: 5 MB (about 1.7 million Chinese characters, some 1,000 pages)."""

MAX_LINE_CHARS = 20_000
"""Characters in one source line: 20,000 (a long paragraph is about 500; beyond this, split it)."""

MAX_IMAGE_FILE_BYTES = 60 * 1024 * 1024
"""Image file size: 60 MB (a 108-megapixel phone photo is about 30 MB)."""

MAX_IMAGE_PIXELS = 120_000_000
"""Image pixels (width × height): 120 megapixels; a larger image is treated as a decompression bomb."""

MAX_FILES = 100_000
"""Files under towns/: 100,000 (the sample district has about 300)."""

# -- structure ---------------------------------------------------------------------------------------

MAX_YAML_VALUES = 200_000
"""Values one YAML document may expand to: 200,000 (stops alias bombs)."""

MAX_YAML_DEPTH = 64
"""Nesting depth of YAML mappings and lists: 64 (a town.yaml needs 4)."""

MAX_LIST_ITEMS = 1_000
"""Items in one YAML list: 1,000 (a parcels.yaml lists a few hundred parcels, a 修订记录 a dozen).

The items beyond are not read, so no rule, table or document goes through more: a list becomes
rows, runs, checks and cross-references as it is built (10,000 ``revisions`` entries took a
minute and a gigabyte to build, their 修订记录 table cut only at ``MAX_TABLE_ROWS``)."""

MAX_PROJECTS = 200
"""Project folders in one town: 200 (an annual plan has 10–30 projects; the first 200 are read).

Each becomes a brief in the 项目简介汇编, a row of the 建设计划 and pages of the 观摩图册."""

MAX_REPORTS = 520
"""Weekly reports in one town: 520 (ten years, one a week; the first by name, the oldest, are read)."""

MAX_TABLE_ROWS = 5_000
"""Rows in one table: 5,000 (a 控规 parcel table has at most a few hundred)."""

MAX_TABLE_COLUMNS = 64
"""Columns in one table: 64 (a landscape A4 page fits about 20 readable columns)."""

MAX_TABLE_SPAN = 1_000
"""rowspan or colspan of one raw-HTML table cell: 1,000, and never beyond the table's own size."""

# -- values -------------------------------------------------------------------------------------------

MAX_NUMBER_DIGITS = 18
"""Digits in one number (before and after the point): 18 (1,000,000 亿元 has 11 in 万元)."""

MIN_YEAR = 1900
"""Earliest year of a date: 1900."""

MAX_YEAR = 2100
"""Latest year of a date: 2100 (plan periods run to 2035; deadlines to a few years ahead)."""

MIN_EPOCH_YEAR = 1980
"""Earliest year SOURCE_DATE_EPOCH may name: 1980 (a ZIP, and so a DOCX, cannot store an earlier date)."""

# -- outputs and packages ---------------------------------------------------------------------------------

MAX_NAME_CHARS = 80
"""Characters in a file name made from a title or a town name: 80."""

MAX_ZIP_MEMBERS = 10_000
"""Entries in a submission zip: 10,000 (a town's package has about 15)."""

MAX_ZIP_BYTES = 2 * 1024 * 1024 * 1024
"""Uncompressed size of a submission zip's entries together: 2 GB."""

MAX_ZIP_RATIO = 200
"""Uncompressed ÷ compressed size of an entry over 1 MB: 200 (DOCX XML compresses about 10 times)."""

MAX_BUILD_STATE_BYTES = 256 * 1024 * 1024
"""Size of build/.manifest.json or build/.cache/images.json: 256 MB (a one-town build's is 75 KB)."""

MAX_ZIP_DIRECTORY_BYTES = 4 * 1024 * 1024
"""Size of a submission zip's central directory: 4 MB (10,000 long Chinese names; a package's is 3 KB)."""

MAX_MANIFEST_BYTES = 10 * 1024 * 1024
"""Size of a package's manifest.json: 10 MB."""

MAX_JSON_DEPTH = 32
"""Nesting depth of a package manifest: 32 (townplans writes 3)."""

ZIP_METHODS = (0, 8)
"""Compression methods a package entry may use: stored (0) and deflated (8), as townplans writes."""

# -- serve's clients --------------------------------------------------------------------------------------
# ``townplans serve`` answers a limit hit with an HTTP status (408, 431, 503 with Retry-After)
# instead of a finding; ``serve.wire.Limits`` takes its defaults from here.

SERVE_HEAD_SECONDS = 10.0
"""Seconds a request head may take to reach serve, however it trickles in: 10 (a browser needs milliseconds)."""

SERVE_MAX_HEAD_BYTES = 64 * 1024
"""Size of a request head: 64 KB (a browser's is under 2 KB)."""

SERVE_WRITE_SECONDS = 30.0
"""Seconds serve waits for a client to take each 256 KB of an answer: 30."""

SERVE_MAX_CONNECTIONS = 256
"""Connections serve holds at once: 256; at the cap the oldest half-sent request is closed, else 503."""

SERVE_MAX_STREAMS = 32
"""Live-update streams (/events, one per open tab) serve holds at once: 32; beyond, 503."""


def table() -> list[tuple[str, str]]:
    """(name, first docstring line) of every limit, in the order above, for the README."""
    source = inspect.getsource(sys.modules[__name__])
    tree = ast.parse(source)
    rows: list[tuple[str, str]] = []
    body = tree.body
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id.isupper()
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
        ):
            rows.append((node.targets[0].id, str(following.value.value).splitlines()[0]))
    return rows
