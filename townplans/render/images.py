"""Photos as they come off phones and cameras, made ready for print.

``prepare`` applies the EXIF orientation (all eight values), converts CMYK, palette and
transparent images to RGB, decodes large JPEGs at reduced size (Pillow draft mode), resizes to the
print resolution of the slot the photo will fill, and recompresses. Results are cached under
``build/`` by content hash and settings, so a rebuild with unchanged photos does no image work.
A decompression bomb, a file that is not an image or a truncated photo gives an ``error`` (the
album shows a placeholder); it never raises.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from townplans import errortext
from townplans.fs import os_error
from townplans.limits import MAX_IMAGE_PIXELS

PRINT_DPI = 200
"""Resolution photos are prepared at for their slot (the albums need at least 150 dpi)."""
JPEG_QUALITY = 82
MAX_PIXELS = MAX_IMAGE_PIXELS
"""Larger images are refused as decompression bombs (the loader's probe refuses them first)."""
PIPELINE_VERSION = 1
"""Part of the cache key: bump when the way photos are prepared changes."""


@dataclass(frozen=True, slots=True)
class Slot:
    """The printed size a photo must fill, in millimetres."""

    width_mm: float
    height_mm: float

    def pixels(self, dpi: int = PRINT_DPI) -> tuple[int, int]:
        return round(self.width_mm / 25.4 * dpi), round(self.height_mm / 25.4 * dpi)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A print-ready JPEG (or why there is none) and whether it came from the cache."""

    path: Path | None
    width: int = 0
    height: int = 0
    cached: bool = False
    error: str | None = None


class Cache(Protocol):
    """Where prepared photos are kept between builds (the build module owns the folder)."""

    def get(self, key: str) -> Path | None: ...

    def put(self, key: str, data: bytes) -> Path: ...


def cache_key(data: bytes, slot: Slot) -> str:
    settings = json.dumps([PIPELINE_VERSION, PRINT_DPI, JPEG_QUALITY, slot.pixels()])
    return hashlib.sha256(data + settings.encode()).hexdigest()[:32]


def prepare(source: Path, slot: Slot, cache: Cache) -> Prepared:
    """The photo at ``source`` fitted to ``slot``, from ``cache`` when it was prepared before."""
    try:
        data = source.read_bytes()
    except OSError as exc:
        return Prepared(None, error=f"无法读取：{os_error(exc, '')}")
    key = cache_key(data, slot)
    hit = cache.get(key)
    if hit is not None:
        with Image.open(hit) as done:
            return Prepared(hit, done.width, done.height, cached=True)
    try:
        image = _decode(data, slot)
    except Image.DecompressionBombError:
        return Prepared(None, error=f"像素数超过 {MAX_PIXELS:,} 的图片被拒绝解码（疑为压缩炸弹）")
    except UnidentifiedImageError:
        return Prepared(None, error="不是可识别的图片文件")
    except (OSError, ValueError, SyntaxError) as exc:
        reason = f"图片无法完整解码（可能被截断或损坏）{errortext.detail(exc, trace=False)}"
        return Prepared(None, error=reason)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)  # no EXIF: GPS stays private
    return Prepared(cache.put(key, buffer.getvalue()), image.width, image.height)


def prepare_many(
    sources: Sequence[Path], slot: Slot, cache: Cache, jobs: int = 1
) -> list[Prepared]:
    """``prepare`` for many photos, in ``jobs`` processes (results in the order given)."""
    if jobs <= 1 or len(sources) < 2:
        return [prepare(source, slot, cache) for source in sources]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(
            pool.map(prepare, sources, [slot] * len(sources), [cache] * len(sources), chunksize=4)
        )


def _decode(data: bytes, slot: Slot) -> Image.Image:
    """Decode, orient, convert and resize; raises what Pillow raises for bad files."""
    previous_truncated, previous_limit = ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS
    # WeasyPrint turns LOAD_TRUNCATED_IMAGES on process-wide; a truncated photo must fail here.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS // 2  # Pillow raises the bomb error at twice this value
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise Image.DecompressionBombError(f"{image.width}×{image.height}")
            box = _oriented_box(image, slot)
            if image.format == "JPEG":
                image.draft(
                    "RGB", box
                )  # decode at 1/2, 1/4 or 1/8 scale when that still fills the slot
            image.load()
            oriented = ImageOps.exif_transpose(image) or image
            rgb = _to_rgb(oriented)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS = previous_truncated, previous_limit
    width, height = slot.pixels()
    if rgb.width > width or rgb.height > height:
        rgb.thumbnail((width, height), Image.Resampling.LANCZOS)
    return rgb


def _oriented_box(image: Image.Image, slot: Slot) -> tuple[int, int]:
    """The slot in the stored image's own axes (a sideways photo is decoded sideways)."""
    width, height = slot.pixels()
    orientation = image.getexif().get(0x0112, 1)
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image.copy()
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")
