"""Probe image files once while loading: size, format, EXIF date, orientation, GPS, camera, hash,
whether the file decodes at all, and what the picture shows (a perceptual hash and how uniform it
is).

Rules stay pure by reading these facts from the model instead of opening files. Truncation and
corruption are found cheaply: JPEGs are decoded at 1/8 size (Pillow draft mode), other formats are
verified (PNG: every chunk's CRC and the end marker) and then decoded. A decompression bomb is
refused rather than decoded.

The picture is measured on a thumbnail of what was decoded: a 256-bit perceptual hash
(``imagehash.phash``) of it as shown (EXIF orientation applied), so that a re-encoded, resized or
rotated copy of a photo is known for the same picture, and the share of its pixels near its most
common grey level, so that a flat placeholder or a black frame is known for blank. ``imagehash``
(with numpy and scipy) is imported only when something is probed: a check whose every image is in
the probe cache never loads it.

Probing every photo is the slowest part of loading, so ``probe_all`` takes a ``ProbeCache``: facts
remembered per file and reused while the file's size, mtime, ctime and inode are unchanged (ctime
cannot be set back by a user, so an edited file is always probed again). The build keeps the cache
in ``build/.cache/images.json``; loading only reads it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import io
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from townplans.fs import os_error, read_regular
from townplans.limits import MAX_IMAGE_FILE_BYTES, MAX_IMAGE_PIXELS
from townplans.model import ImageInfo

if TYPE_CHECKING:  # Pillow is imported only when an image is probed (a cached probe needs none)
    from PIL import Image

IMAGE_SUFFIXES = ("jpg", "jpeg", "png", "gif", "bmp", "tif", "tiff", "webp")
PROBE_FORMAT = 2
"""Version of what a probe finds; a cache written by another version is probed afresh (2: the
perceptual hash and uniformity were added)."""
CONTENT_PIXELS = 16_000_000
"""Pictures other than JPEG are decoded in full to be measured, up to this size (a JPEG is
measured at 1/8 scale, almost free). A 70-megapixel PNG drawing takes two seconds to decode:
larger ones are left unmeasured (``phash`` and ``uniformity`` None)."""
THUMBNAIL = 256
"""Side of the thumbnail the picture is measured on."""
NEAR_LEVELS = 8
"""Grey levels either side of the most common one that still count as "the same colour" (JPEG
noise on a flat grey stays within 2)."""
HASH_SIZE = 16
"""``imagehash.phash`` hash size: 16×16 = 256 bits. With 8×8 = 64 bits, distinct sample photos
(drawn by one generator) came within 6 bits of each other, as close as a re-encoded copy."""
# Sizes are judged against MAX_IMAGE_PIXELS here, before any decoding; Pillow's own English warning
# for large images would only repeat that on the user's terminal. Its DecompressionBombWarning
# (a RuntimeWarning) is matched by its text, so that Pillow need not be imported to silence it.
warnings.filterwarnings(
    "ignore", message=r"Image size \(\d+ pixels\) exceeds limit", category=RuntimeWarning
)

_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATE_ORIGINAL = 0x9003
_DATE_TIME = 0x0132
_ORIENTATION = 0x0112
_MAKE, _MODEL = 0x010F, 0x0110


@contextmanager
def strict_decoding() -> Iterator[None]:
    """Truncated images fail to decode while this holds. WeasyPrint turns Pillow's process-wide
    LOAD_TRUNCATED_IMAGES on when it is imported, which would let truncated files pass."""
    from PIL import ImageFile

    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


class ProbeCache:
    """Probe results by absolute path, each valid for one stat signature of its file."""

    def __init__(self, entries: dict[str, Any] | None = None) -> None:
        self._entries: dict[str, Any] = entries or {}
        self.changed = False

    @classmethod
    def from_json(cls, text: str) -> ProbeCache:
        """A cache from its JSON text; anything unreadable, or written by another ``PROBE_FORMAT``,
        gives an empty cache (it is only a cache: its files are probed again)."""
        try:
            data = json.loads(text)
        except ValueError:
            return cls()
        if not isinstance(data, dict) or data.get("format") != PROBE_FORMAT:
            return cls()
        files = data.get("files")
        return cls(files if isinstance(files, dict) else None)

    def to_json(self) -> str:
        data = {"format": PROBE_FORMAT, "files": self._entries}
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    def get(self, path: Path) -> ImageInfo | None:
        entry = self._entries.get(str(path))
        if not isinstance(entry, dict) or entry.get("stat") != _signature(path):
            return None
        try:
            return _info_from_json(entry["info"])
        except (KeyError, TypeError, ValueError):
            return None

    def put(self, path: Path, info: ImageInfo) -> None:
        self._entries[str(path)] = {"stat": _signature(path), "info": _info_to_json(info)}
        self.changed = True

    def keep_only(self, paths: Sequence[Path]) -> None:
        """Forget files that are gone, so the cache does not grow for ever."""
        wanted = {str(p) for p in paths}
        for key in [k for k in self._entries if k not in wanted]:
            del self._entries[key]
            self.changed = True


def _signature(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]


def _info_to_json(info: ImageInfo) -> dict[str, Any]:
    data = dataclasses.asdict(info)
    data["taken"] = info.taken.isoformat() if info.taken else None
    return data


def _info_from_json(data: dict[str, Any]) -> ImageInfo:
    """The probe an entry stores; ValueError for measures no probe makes (an edited cache)."""
    values = dict(data)
    values["taken"] = dt.datetime.fromisoformat(data["taken"]) if data.get("taken") else None
    values["gps"] = tuple(data["gps"]) if data.get("gps") else None
    phash, uniformity = data.get("phash"), data.get("uniformity")
    if phash is not None and not (isinstance(phash, str) and _HEX.fullmatch(phash)):
        raise ValueError("phash")
    if uniformity is not None and not (isinstance(uniformity, float) and 0 <= uniformity <= 1):
        raise ValueError("uniformity")
    return ImageInfo(**values)


_HEX = re.compile(f"[0-9a-f]{{{HASH_SIZE * HASH_SIZE // 4}}}")


def probe_all(
    paths: Sequence[Path], threads: int = 4, cache: ProbeCache | None = None
) -> dict[Path, ImageInfo]:
    """``probe`` for many files on a few threads (decoding and hashing release the GIL); files the
    cache knows unchanged are not opened."""
    cache = cache if cache is not None else ProbeCache()
    cache.keep_only(paths)
    found = {path: info for path in paths if (info := cache.get(path)) is not None}
    missing = [path for path in paths if path not in found]
    if missing:
        from concurrent.futures import ThreadPoolExecutor

        import imagehash  # noqa: F401 - imported once here, not by each thread at once

        with strict_decoding(), ThreadPoolExecutor(max_workers=threads) as pool:
            for path, info in zip(missing, pool.map(_probe, missing), strict=True):
                cache.put(path, info)
                found[path] = info
    return {path: found[path] for path in paths}


def probe(path: Path) -> ImageInfo:
    """Facts about one image file; never raises for a bad file (``error`` says what is wrong)."""
    with strict_decoding():
        return _probe(path)


def _probe(path: Path) -> ImageInfo:
    import hashlib

    from PIL import Image, UnidentifiedImageError

    try:
        data = read_regular(path, MAX_IMAGE_FILE_BYTES)
    except OSError as exc:
        if exc.errno == errno.EFBIG:
            limit = MAX_IMAGE_FILE_BYTES // (1024 * 1024)
            return ImageInfo("", error=f"图片文件超过 {limit} MB 的上限：未读取，请压缩后再放入")
        return ImageInfo("", error=f"图片无法读取：{os_error(exc)}")
    digest = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                return ImageInfo(digest, error=_too_many_pixels(image.width, image.height))
            if image.format != "JPEG":
                image.verify()  # must come straight after open
        with Image.open(io.BytesIO(data)) as image:
            facts = _Facts.read(image)
            measured = image.format == "JPEG" or image.width * image.height <= CONTENT_PIXELS
            if image.format == "JPEG":
                image.draft("RGB", _draft_size(image.width, image.height))
            if measured:
                image.load()
                phash, uniformity = _content(image, facts.orientation)
            else:
                phash, uniformity = None, None
    except Image.DecompressionBombError:
        return ImageInfo(digest, error="图片像素数过大，疑为压缩炸弹，已拒绝解码")
    except UnidentifiedImageError:
        return ImageInfo(digest, error="无法识别的图片格式（文件可能不是图片，或已损坏）")
    except (OSError, ValueError, SyntaxError, RuntimeError):
        # Pillow's English reason is not kept: this text is shown and stored in the probe cache
        return ImageInfo(digest, error="图片无法完整解码（文件可能被截断或损坏）")
    return ImageInfo(
        digest,
        width=facts.width,
        height=facts.height,
        format=facts.format,
        mode=facts.mode,
        orientation=facts.orientation,
        taken=facts.taken,
        gps=facts.gps,
        camera=facts.camera,
        phash=phash,
        uniformity=uniformity,
    )


def _draft_size(width: int, height: int) -> tuple[int, int]:
    """What to ask the JPEG decoder for: 1/8 scale (the cheapest way to decode every byte, which
    is what finds a truncated file), but never below the 64 pixels a perceptual hash reads."""
    return min(width, max(64, width // 8)), min(height, max(64, height // 8))


# EXIF orientation -> the transpose that shows the picture upright (as ImageOps.exif_transpose).
_UPRIGHT = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE",
            6: "ROTATE_270", 7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip


def _content(image: Image.Image, orientation: int) -> tuple[str, float]:
    """The perceptual hash of the decoded picture as shown, and its uniformity (``ImageInfo``)."""
    import imagehash
    from PIL import Image

    grey = _grey(image)
    grey.thumbnail((THUMBNAIL, THUMBNAIL))
    if orientation in _UPRIGHT:
        grey = grey.transpose(Image.Transpose[_UPRIGHT[orientation]])
    histogram = grey.histogram()
    common = max(range(256), key=histogram.__getitem__)
    near = sum(histogram[max(0, common - NEAR_LEVELS) : common + NEAR_LEVELS + 1])
    uniformity = round(near / max(1, sum(histogram)), 4)
    return str(imagehash.phash(grey, hash_size=HASH_SIZE)), uniformity


def _grey(image: Image.Image) -> Image.Image:
    """The picture in grey levels; transparent parts count as white paper (a PNG drawing)."""
    from PIL import Image

    if image.mode in ("L", "RGB"):
        return image.convert("L")
    if image.mode in ("I", "F") or image.mode.startswith("I;16"):
        # 16-bit, 32-bit and float pictures span their own range: converting them to 8-bit grey
        # directly clips all but the darkest values to white (a 16-bit scan would look blank)
        wide = image.convert("F")
        low, high = (float(end) for end in wide.getextrema())  # type: ignore[arg-type]
        scale = 255 / (high - low) if high > low else 0.0
        return wide.point(lambda value: (value - low) * scale).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        paper.alpha_composite(rgba)
        return paper.convert("L")
    return image.convert("RGB").convert("L")


def _too_many_pixels(width: int, height: int) -> str:
    megapixels = width * height / 1_000_000
    limit = MAX_IMAGE_PIXELS // 1_000_000
    return (
        f"图片有 {width}×{height} 像素（{megapixels:.0f} 百万像素），超过 {limit} 百万像素的上限："
        "疑为压缩炸弹，已拒绝解码；请缩小后再放入"
    )


@dataclass(frozen=True, slots=True)
class _Facts:
    width: int
    height: int
    format: str | None
    mode: str
    orientation: int
    taken: dt.datetime | None
    gps: tuple[float, float] | None
    camera: str | None

    @classmethod
    def read(cls, image: Image.Image) -> _Facts:
        exif = image.getexif()
        sub = exif.get_ifd(_EXIF_IFD)
        camera = " ".join(str(exif[key]).strip("\x00 ") for key in (_MAKE, _MODEL) if exif.get(key))
        orientation = exif.get(_ORIENTATION, 1)
        return cls(
            width=image.width,
            height=image.height,
            format=image.format,
            mode=image.mode,
            orientation=orientation
            if isinstance(orientation, int) and 1 <= orientation <= 8
            else 1,
            taken=_exif_time(sub.get(_DATE_ORIGINAL) or exif.get(_DATE_TIME)),
            gps=_gps(exif.get_ifd(_GPS_IFD)),
            camera=camera or None,
        )


def _exif_time(value: Any) -> dt.datetime | None:
    """EXIF "YYYY:MM:DD HH:MM:SS"; blank, zeroed or impossible stamps count as no date."""
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


def _gps(ifd: Any) -> tuple[float, float] | None:
    try:
        latitude = _degrees(ifd[2], ifd.get(1, "N"))
        longitude = _degrees(ifd[4], ifd.get(3, "E"))
    except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    return latitude, longitude


def _degrees(dms: Any, hemisphere: Any) -> float:
    degrees, minutes, seconds = (float(part) for part in dms)
    value = degrees + minutes / 60 + seconds / 3600
    return -value if str(hemisphere).strip("\x00 ").upper() in ("S", "W") else value
