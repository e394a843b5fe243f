"""Media measures: the figures behind the thresholds of the media rules (``townplans.rules.media``)
and what probing the pictures costs.

For every picture of the sample district (photos, drawings, boards) and every decodable real camera
JPEG of ``corpora/photos``, the probe (``townplans.load.images.probe``) measures a 256-bit
perceptual hash and the uniformity. This prints:

- the smallest perceptual-hash distance between two *different* pictures, by kind of pair
  (byte-identical files and the eight orientations of one corpus photo left out);
- the largest distance between a picture and a copy of it (re-encoded at quality 60 and 90, half
  and quarter size, 70 % at quality 75, PNG, greyscale, 10 % brighter), by kind;
- the largest uniformity of each kind, and that of made-up blank pictures (flat grey, black, a grey
  placeholder with a line of text, a black frame with a time stamp, an empty page with a frame);
- the time a probe takes, per kind, and for the whole sample on four threads.

    .venv/bin/python benchmarks/media_measures.py [--corpus ../shared/corpora/photos]
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import itertools
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance

from townplans.load.images import probe, probe_all
from townplans.model import ImageInfo
from townplans.rules.media import BLANK_SHARE, NEAR_BITS

REPO = Path(__file__).resolve().parent.parent
COPIES = ("q60", "q90", "half", "quarter", "70%q75", "png", "grey", "brighter")


def kind(path: Path) -> str:
    text = path.as_posix()
    if "/corpora/" in text:
        return "real photo"
    return "photo" if "/photos/" in text else "board" if "/boards/" in text else "drawing"


def bits(a: ImageInfo, b: ImageInfo) -> int:
    assert a.phash is not None and b.phash is not None
    return (int(a.phash, 16) ^ int(b.phash, 16)).bit_count()


def copies(path: Path) -> Iterator[tuple[str, bytes]]:
    """``path`` saved again the ways a picture gets copied (upright, as shown)."""
    from PIL import ImageOps

    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
    width, height = image.size

    def saved(picture: Image.Image, form: str = "JPEG", **options: int) -> bytes:
        buffer = io.BytesIO()
        picture.save(buffer, form, **options)
        return buffer.getvalue()

    def scaled(factor: float) -> Image.Image:
        return image.resize((max(1, round(width * factor)), max(1, round(height * factor))))

    yield "q60", saved(image, quality=60)
    yield "q90", saved(image, quality=90)
    yield "half", saved(scaled(0.5), quality=85)
    yield "quarter", saved(scaled(0.25), quality=80)
    yield "70%q75", saved(scaled(0.7), quality=75)
    yield "png", saved(image, "PNG")
    yield "grey", saved(image.convert("L"), quality=85)
    yield "brighter", saved(ImageEnhance.Brightness(image).enhance(1.1), quality=85)


def blanks() -> Iterator[tuple[str, Image.Image]]:
    yield "flat grey", Image.new("RGB", (800, 600), (128, 128, 128))
    yield "black", Image.new("RGB", (800, 600), (0, 0, 0))
    placeholder = Image.new("RGB", (800, 600), (200, 200, 200))
    ImageDraw.Draw(placeholder).text((330, 290), "PHOTO TO COME", fill=(60, 60, 60), font_size=28)
    yield "grey placeholder + text", placeholder
    stamped = Image.new("RGB", (800, 600), (5, 5, 5))
    ImageDraw.Draw(stamped).text((600, 560), "2023-09-16 10:10", fill=(255, 160, 0), font_size=20)
    yield "black + time stamp", stamped
    page = Image.new("RGB", (800, 600), "white")
    ImageDraw.Draw(page).rectangle((10, 10, 789, 589), outline=(0, 0, 0), width=3)
    yield "empty page + frame", page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpora/photos")
    args = parser.parse_args()
    sample = sorted(p for p in (REPO / "towns").rglob("*") if p.suffix in (".jpg", ".png"))
    corpus = sorted(args.corpus.glob("*.jp*g")) if args.corpus.is_dir() else []
    start = time.perf_counter()
    probe_all(sample)
    whole = time.perf_counter() - start
    timings: dict[str, list[float]] = collections.defaultdict(list)
    probed: dict[Path, ImageInfo] = {}
    for path in [*sample, *corpus]:
        start = time.perf_counter()
        info = probe(path)
        timings[kind(path)].append(time.perf_counter() - start)
        if info.error is None and info.phash is not None:
            probed[path] = info
    print(f"pictures: {len(sample)} of the sample, {len(corpus)} real photos "
          f"({len(probed)} measured; the rest do not decode)")  # fmt: skip
    print(f"thresholds: same picture within {NEAR_BITS} bits, blank from {BLANK_SHARE:.0%}\n")
    measured = {p: i for p, i in probed.items() if (i.uniformity or 0) < BLANK_SHARE}
    _distinct(measured)
    _copies(measured)
    _uniformity(probed)
    print("\nprobe time (one thread, per picture): " + ", ".join(
        f"{name} {1000 * sum(t) / len(t):.1f} ms" for name, t in sorted(timings.items())
    ) + f"; the whole sample on 4 threads {whole:.2f} s")  # fmt: skip


def _distinct(probed: dict[Path, ImageInfo]) -> None:
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in probed}
    closest: dict[tuple[str, str], tuple[int, str]] = {}
    for a, b in itertools.combinations(probed, 2):
        if digests[a] == digests[b] or (a.name.startswith("Landscape_") and
                                        b.name.startswith("Landscape_")):  # fmt: skip
            continue
        pair = tuple(sorted((kind(a), kind(b))))
        distance = bits(probed[a], probed[b])
        if pair not in closest or distance < closest[pair][0]:
            closest[pair] = (distance, f"{_short(a)} ~ {_short(b)}")  # type: ignore[index]
    print("closest two different pictures (bits of 256):")
    for (first, second), (distance, where) in sorted(closest.items()):
        print(f"  {first:>10} / {second:<10} {distance:4d}  {where}")


def _copies(probed: dict[Path, ImageInfo]) -> None:
    worst: dict[tuple[str, str], tuple[int, str]] = {}
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy"
        for path, info in probed.items():
            for name, data in copies(path):
                copy.write_bytes(data)
                distance = bits(info, probe(copy))
                key = (kind(path), name)
                if key not in worst or distance > worst[key][0]:
                    worst[key] = (distance, _short(path))
    print("\nfarthest copy of a picture (bits of 256):")
    for picture_kind in sorted({k for k, _ in worst}):
        row = [f"{name} {worst[(picture_kind, name)][0]}" for name in COPIES]
        top = max(worst[(picture_kind, name)] for name in COPIES)
        print(f"  {picture_kind:>10}: {', '.join(row)}  (max {top[0]}: {top[1]})")


def _uniformity(probed: dict[Path, ImageInfo]) -> None:
    print("\nuniformity (share of pixels within ±8 grey levels of the most common):")
    by_kind: dict[str, list[tuple[float, str]]] = collections.defaultdict(list)
    for path, info in probed.items():
        by_kind[kind(path)].append((info.uniformity or 0.0, _short(path)))
    for name, values in sorted(by_kind.items()):
        flat = [v for v in values if v[0] >= BLANK_SHARE]
        highest = max(v for v in values if v[0] < BLANK_SHARE)
        print(f"  {name:>10}: highest {highest[0]:.3f} ({highest[1]}); blank: "
              + (", ".join(f"{where} {share:.3f}" for share, where in flat) or "none"))  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        for name, image in blanks():
            target = Path(folder) / "blank.jpg"
            image.save(target, "JPEG", quality=85)
            print(f"  {name:>24}: {probe(target).uniformity:.3f}")


def _short(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[-4:]) if "towns" in parts else path.name


if __name__ == "__main__":
    main()
