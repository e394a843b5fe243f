"""Reproducible outputs: the one timestamp every output carries, and zip archives dated with it.

The same content gives byte-identical files: an output is dated by SOURCE_DATE_EPOCH when it is
set (and sane), else by its content's own date (a document's date, the latest weekly report), never
by the clock. DOCX files and packages are zip archives whose entries python-docx and zipfile would
date with the current time; ``fixed_zip_times`` rewrites them with the stamp.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import zipfile

from townplans.limits import MAX_YEAR, MIN_EPOCH_YEAR


def source_stamp(document_date: dt.date | None) -> dt.datetime:
    """The timestamp written into outputs: SOURCE_DATE_EPOCH, else the document's date."""
    epoch, _ = source_date_epoch()
    if epoch is not None:
        return epoch
    if document_date is not None:
        return dt.datetime.combine(document_date, dt.time())
    return dt.datetime(2000, 1, 1)


def source_date_epoch() -> tuple[dt.datetime | None, str | None]:
    """SOURCE_DATE_EPOCH as a (naive, UTC) time, or None; and, when it is set but not a time
    between MIN_EPOCH_YEAR and MAX_YEAR in whole seconds since 1970, why it is ignored (Chinese).

    The range is compared in seconds before any date is made: a date past year 9999 does not
    exist in Python, so ``253402300800`` (10000-01-01) must never reach ``datetime``."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return None, None
    if re.fullmatch(r"[0-9]{1,12}", text):  # ASCII digits only: "²" and "１" pass str.isdigit
        seconds = int(text)
        if _EPOCH_FIRST <= seconds < _EPOCH_AFTER_LAST:
            return _EPOCH + dt.timedelta(seconds=seconds), None
    shown = text if len(text) <= 30 else f"{text[:30]}…"
    return None, (
        f"警告：环境变量 SOURCE_DATE_EPOCH 的值 {shown} 无效（应为 1970-01-01 起的秒数，"
        f"且在 {MIN_EPOCH_YEAR} 至 {MAX_YEAR} 年之间），已忽略：成果日期取自各文档的日期"
    )


_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_FIRST = int((dt.datetime(MIN_EPOCH_YEAR, 1, 1) - _EPOCH).total_seconds())
_EPOCH_AFTER_LAST = int((dt.datetime(MAX_YEAR + 1, 1, 1) - _EPOCH).total_seconds())


def zip_date_time(stamp: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date: the zip format cannot store one before 1980-01-01."""
    stamp = max(stamp, dt.datetime(1980, 1, 1))
    return (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)


def fixed_zip_times(data: bytes, stamp: dt.datetime) -> bytes:
    """Rewrite a zip (DOCX) with every entry dated ``stamp``: python-docx uses the current time."""
    date_time = zip_date_time(stamp)
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            target.writestr(entry, source.read(info.filename))
    return output.getvalue()
