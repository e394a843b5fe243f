"""Pictures for the media tests, made with Pillow from the sample's photos: a re-encoded copy, a
grey placeholder that keeps a real photo's EXIF, a photo moved elsewhere by its GPS or its date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PIL import Image

GPS_IFD = 0x8825
EXIF_IFD = 0x8769
DATE_ORIGINAL = 0x9003
BEIJING = (39.9075, 116.3881)
"""Tiananmen, about 920 km from the district."""


def reencode(source: Path, target: Path, scale: float = 0.5, quality: int = 70) -> None:
    """A copy made smaller and saved again, as a photo forwarded through a chat app is."""
    with Image.open(source) as image:
        exif = image.getexif()
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image.convert("RGB").resize(size).save(target, "JPEG", quality=quality, exif=exif)


def grey_placeholder(source: Path, target: Path, level: int = 128) -> None:
    """A flat grey picture carrying ``source``'s EXIF (date, GPS): a placeholder for a photo."""
    with Image.open(source) as image:
        exif = image.getexif()
        size = image.size
    Image.new("RGB", size, (level, level, level)).save(target, "JPEG", exif=exif)


def blank_png(source: Path, target: Path) -> None:
    """A white picture of ``source``'s size: an empty board or drawing."""
    with Image.open(source) as image:
        size = image.size
    Image.new("RGB", size, "white").save(target, "PNG")


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 2)


def with_gps(photo: Path, lat: float, lon: float) -> None:
    """``photo`` as if taken at ``lat``, ``lon`` (its pixels and date kept)."""
    with Image.open(photo) as image:
        image.load()
        exif = image.getexif()
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = ("N" if lat >= 0 else "S"), _dms(abs(lat))
    gps[3], gps[4] = ("E" if lon >= 0 else "W"), _dms(abs(lon))
    image.save(photo, "JPEG", quality=90, exif=exif)


def with_date(photo: Path, taken: dt.datetime) -> None:
    """``photo`` as if taken at ``taken`` (EXIF DateTimeOriginal)."""
    with Image.open(photo) as image:
        image.load()
        exif = image.getexif()
    exif.get_ifd(EXIF_IFD)[DATE_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
    image.save(photo, "JPEG", quality=90, exif=exif)
