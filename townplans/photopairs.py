"""Before/after photo pairs of a project: which 施工前 photo a 建成后 photo is compared with.

One place decides it, for the album (which prints the pairs side by side) and for the checker
(which warns when a pair rests only on the order of the files). In order of trust: photos.yaml
``pair``, then matching file names (before-1 / after-1, 施工前-东段 / 建成后-东段), then the nearest
GPS positions within ``PAIR_DISTANCE_M``, and last the order of the file names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePosixPath

from townplans.model import Photo

PAIR_DISTANCE_M = 300.0
"""Before and after photos farther apart than this are not paired by GPS."""


class PairedBy(Enum):
    """How a pair was found (the checker warns about ORDER)."""

    DECLARED = "photos.yaml 中的 pair"
    NAME = "文件名"
    GPS = "拍摄位置"
    ORDER = "文件顺序"


@dataclass(frozen=True, slots=True)
class Pair:
    """A before photo, an after photo (either may be missing) and how they were matched."""

    before: Photo | None
    after: Photo | None
    by: PairedBy | None = None


def pair_photos(photos: Sequence[Photo]) -> list[Pair]:
    """The project's before/after pairs, then the photos left without a partner."""
    left = sorted((p for p in photos if p.stage == "before"), key=_path)
    right = sorted((p for p in photos if p.stage == "after"), key=_path)
    pairs: list[Pair] = []

    def take(before: Photo, after: Photo, by: PairedBy) -> None:
        pairs.append(Pair(before, after, by))
        left.remove(before)
        right.remove(after)

    by_name = {_name(p): p for p in (*left, *right)}
    for photo in [*left, *right]:
        partner = by_name.get(str(photo.caption.get("pair", "")))
        if photo in left and partner in right:
            take(photo, partner, PairedBy.DECLARED)
        elif photo in right and partner in left:
            take(partner, photo, PairedBy.DECLARED)
    for photo in list(left):
        key = _name_key(photo)
        partner = next((a for a in right if _name_key(a) == key), None)
        if key and partner is not None:
            take(photo, partner, PairedBy.NAME)
    for photo in list(left):
        partner = _nearest(photo, right)
        if partner is not None:
            take(photo, partner, PairedBy.GPS)
    for before, after in list(zip(left, right, strict=False)):
        take(before, after, PairedBy.ORDER)
    return pairs + [Pair(b, None) for b in left] + [Pair(None, a) for a in right]


def _path(photo: Photo) -> str:
    return photo.asset.path


def _name(photo: Photo) -> str:
    return PurePosixPath(photo.asset.path).name


def _name_key(photo: Photo) -> str:
    """before-1.jpg / after-1.jpg / 施工前-东段.jpg -> the part that names the viewpoint."""
    stem = PurePosixPath(photo.asset.path).stem.lower()
    return re.sub(r"^(before|after|施工前|建成后|改造前|改造后|前|后)[-_ ]*", "", stem)


def _nearest(photo: Photo, candidates: Sequence[Photo]) -> Photo | None:
    here = _gps(photo)
    if here is None:
        return None
    distances = [
        (_distance(here, there), _path(other), other)
        for other in candidates
        if (there := _gps(other)) is not None
    ]
    if not distances:
        return None
    distance, _, partner = min(distances)
    return partner if distance <= PAIR_DISTANCE_M else None


def _gps(photo: Photo) -> tuple[float, float] | None:
    return photo.asset.image.gps if photo.asset.image is not None else None


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Metres between two WGS-84 points (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))
