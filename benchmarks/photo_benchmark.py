"""Photo benchmark: 200 full-size camera JPEGs through the album photo pipeline.

The photos are made from the camera corpus (shared/corpora/photos) by upscaling ten of them to
4000 × 3000 at quality 90, then giving each of the 200 copies its own JPEG comment so every file has
different content (the pipeline caches by content hash, so identical files would be free). Each
configuration runs in a fresh process with an empty cache; the table shows photos per second and
peak resident memory (the largest process, workers included).

    .venv/bin/python benchmarks/photo_benchmark.py [--photos 200] [--corpus ../shared/corpora/photos]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
SIZE = (4000, 3000)

_MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
from townplans.targets import PhotoCache
from townplans.render.album import PHOTO_SLOT
from townplans.render.images import prepare_many
folder, cache, jobs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
sources = sorted(folder.glob("*.jpg"))
start = time.perf_counter()
results = prepare_many(sources, PHOTO_SLOT, PhotoCache(cache), jobs)
elapsed = time.perf_counter() - start
peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": elapsed, "photos": len(sources), "errors": sum(1 for r in results if r.error), "peak_mb": peak / 1024}))
"""


def make_photos(corpus: Path, target: Path, count: int) -> int:
    """``count`` distinct full-size JPEGs; returns their total size in bytes."""
    names = ["DSCN0010.jpg", "iphone_hdr_NO.jpg", "canon_hdr_NO.jpg", "HMD_Nokia_8.3_5G.jpg", "olympus-d320l.jpg",
             "Landscape_1.jpg", "Landscape_6.jpg", "67-0_length_string.jpg", "32-lens_data.jpeg", "Kodak_CX7530.jpg"]  # fmt: skip
    bases: list[bytes] = []
    for name in names:
        with Image.open(corpus / name) as image:
            upright = ImageOps.exif_transpose(image) or image
            big = upright.convert("RGB").resize(SIZE, Image.Resampling.BICUBIC)
        path = target / f"base-{len(bases)}.jpg"
        big.save(path, "JPEG", quality=90)
        bases.append(path.read_bytes())
    total = 0
    for number in range(count):
        data = bases[number % len(bases)]
        comment = f"townplans benchmark photo {number}".encode()
        unique = data[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + data[2:]
        (target / f"photo-{number:03d}.jpg").write_bytes(unique)
        total += len(unique)
    for number in range(len(bases)):
        (target / f"base-{number}.jpg").unlink()
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared/corpora/photos")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        photos = Path(folder) / "photos"
        photos.mkdir()
        total = make_photos(args.corpus, photos, args.photos)
        print(
            f"{args.photos} JPEGs of {SIZE[0]}×{SIZE[1]}, {total / args.photos / 1e6:.1f} MB each on average"
        )
        print(f"{'configuration':<16} {'seconds':>8} {'photos/s':>9} {'peak MB':>8} {'errors':>6}")
        for jobs in (1, 2):
            cache = Path(folder) / f"cache-{jobs}"
            output = subprocess.run(
                [sys.executable, "-c", _MEASURE, str(photos), str(cache), str(jobs)],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
            result = json.loads(output)
            label = "single job" if jobs == 1 else f"--jobs {jobs}"
            rate = result["photos"] / result["seconds"]
            print(
                f"{label:<16} {result['seconds']:>8.2f} {rate:>9.1f} {result['peak_mb']:>8.0f} {result['errors']:>6}"
            )


if __name__ == "__main__":
    main()
