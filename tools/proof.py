"""Proof sheets: the pages of each document type as a reviewer sees them, PDF beside Word.

For every built document of one town (and the district summary), render the WeasyPrint PDF's
pages and LibreOffice's PDF of the DOCX to PNG and lay them out on one contact sheet per document:
a row per page, the PDF page on the left, the Word page on the right (or a grey box where one of
them has fewer pages). Sheets go to ``build/proof/<document>.png`` with an ``index.html`` linking
them, so a changed table, a blank page or a misplaced 公文 header is seen, not guessed.

    python tools/proof.py [--root .] [--town weicheng] [--dpi 50] [--only 建设计划]

Run ``townplans build`` first (``make proof`` does both). Needs poppler's pdftoppm and LibreOffice.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from townplans.render import faces

GAP = 12
LABEL = 28
BACKGROUND = (200, 200, 200)
MISSING = (150, 150, 150)
CJK_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype(CJK_FONT, size, index=2)  # the SC face of the collection
    except OSError:
        return ImageFont.load_default()


def pages(pdf: Path, dpi: int, folder: Path) -> list[Path]:
    """Each page of ``pdf`` as a PNG in ``folder``."""
    prefix = folder / pdf.stem
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(prefix)], check=True, capture_output=True
    )
    found = sorted(folder.glob(f"{pdf.stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return found


PDF_EXPORT = 'pdf:writer_pdf_Export:{"IsSkipEmptyPages":{"type":"boolean","value":"false"}}'
"""LibreOffice's PDF export with the blank pages Word prints (the one before a 公文's even 版记
page); headless it leaves them out by default and the sheet would pair the wrong pages."""


def word_pdfs(documents: Sequence[Path], folder: Path, root: Path) -> dict[Path, Path]:
    """LibreOffice's PDF of each DOCX (one soffice run, its own throwaway profile), its Chinese
    set in the PDF's faces by a fontconfig configuration made from the workspace's style.yaml
    (as a reviewer on Linux sees it with the README's FONTCONFIG_FILE)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None or not documents:
        return {}
    profile = (folder / "lo-profile").as_uri()
    out = folder / "word"
    conf = faces.write_fontconfig(root, folder / "fonts.conf")
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", PDF_EXPORT,
         "--outdir", str(out), *map(str, documents)],
        check=True, capture_output=True, timeout=900,
        env={**os.environ, "FONTCONFIG_FILE": str(conf)},
    )  # fmt: skip
    return {
        doc: out / f"{doc.stem}.pdf" for doc in documents if (out / f"{doc.stem}.pdf").is_file()
    }


def sheet(left: list[Path], right: list[Path], title: str, per_row: int = 3) -> Image.Image:
    """A contact sheet of page pairs, ``per_row`` pairs a row: page i of the PDF, then page i of
    the Word document, with a grey box where one side has no such page."""
    images = [[Image.open(p) for p in side] for side in (left, right)]
    width = max((im.width for side in images for im in side), default=200)
    height = max((im.height for side in images for im in side), default=280)
    count = max(len(left), len(right), 1)
    rows = -(-count // per_row)
    pair = 2 * width + GAP
    canvas = Image.new(
        "RGB", (per_row * (pair + 2 * GAP) + GAP, rows * (height + GAP) + GAP + LABEL), BACKGROUND
    )
    draw = ImageDraw.Draw(canvas)
    caption = f"{title}：每组左为 PDF，右为 Word（LibreOffice 转换）；PDF {len(left)} 页，Word {len(right)} 页"
    draw.text((GAP, 4), caption, fill=(0, 0, 0), font=_font(18))
    for index in range(count):
        x0 = GAP + (index % per_row) * (pair + 2 * GAP)
        y = LABEL + GAP + (index // per_row) * (height + GAP)
        for column, side in enumerate(images):
            x = x0 + column * (width + GAP)
            if index < len(side):
                canvas.paste(side[index], (x, y))
            else:
                draw.rectangle((x, y, x + width, y + height), fill=MISSING)
        draw.text((x0, y - 12), str(index + 1), fill=(0, 0, 0), font=_font(11))
    return canvas


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    parser.add_argument("--town", default="weicheng")
    parser.add_argument("--dpi", type=int, default=50)
    parser.add_argument("--only", nargs="*", default=[], help="document names containing these")
    args = parser.parse_args(argv)
    build = args.root.resolve() / "build"
    documents = sorted((build / args.town).glob("*.pdf")) + sorted(build.glob("*.pdf"))
    documents = [d for d in documents if not args.only or any(o in d.stem for o in args.only)]
    if not documents:
        print(f"{build / args.town} 中没有 PDF：请先运行 townplans build", file=sys.stderr)
        return 1
    target = build / "proof"
    target.mkdir(parents=True, exist_ok=True)
    made: list[tuple[str, str, int, int]] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        docx = [d.with_suffix(".docx") for d in documents if d.with_suffix(".docx").is_file()]
        converted = word_pdfs(docx, work, args.root.resolve())
        for pdf in documents:
            folder = work / f"pages-{len(made)}"
            (folder / "pdf").mkdir(parents=True)
            (folder / "word").mkdir()
            left = pages(pdf, args.dpi, folder / "pdf")
            word = converted.get(pdf.with_suffix(".docx"))
            right = pages(word, args.dpi, folder / "word") if word else []
            image = sheet(left, right, pdf.stem)
            path = target / f"{pdf.stem}.png"
            image.save(path, optimize=True)
            made.append((pdf.stem, path.name, len(left), len(right)))
            print(f"{path.relative_to(build.parent)}  PDF {len(left)} 页，Word {len(right)} 页")
    rows = "".join(
        f'<li><a href="{html.escape(name)}">{html.escape(stem)}</a>（PDF {n} 页，Word {m} 页）</li>'
        for stem, name, n, m in made
    )
    (target / "index.html").write_text(
        f'<!DOCTYPE html><meta charset="utf-8"><title>版面校样</title><ul>{rows}</ul>\n',
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
