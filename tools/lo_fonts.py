"""A fontconfig configuration for LibreOffice: the DOCX's Chinese in the faces of the PDF.

The DOCX names the official faces (仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312, 宋体), which a
machine without them (Linux, a print shop, CI) does not have; LibreOffice then sets all of them in
one CJK face (Noto Sans CJK JP). This writes a configuration that adds templates/fonts/ and maps
each name of style.yaml to the face the PDF sets that role in (``townplans.render.faces``):

    python tools/lo_fonts.py [--root .] [build/fonts.conf]
    FONTCONFIG_FILE=build/fonts.conf soffice --headless --convert-to pdf 某镇2023年小城镇建设计划.docx

Opened in LibreOffice that way, a DOCX shows the pages the PDF has.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from townplans.render import faces


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path, nargs="?", default=Path("build/fonts.conf"))
    parser.add_argument("--root", type=Path, default=Path("."))
    args = parser.parse_args()
    conf = faces.write_fontconfig(args.root.resolve(), args.target.resolve())
    print(f"FONTCONFIG_FILE={conf}")


if __name__ == "__main__":
    main()
