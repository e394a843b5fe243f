#!/usr/bin/env bash
# Install the system packages townplans needs on Debian/Ubuntu, or say exactly how to.
#   fonts-noto-cjk        CJK fonts embedded in the PDFs
#   libpango-1.0-0        WeasyPrint's text layout
#   libpangoft2-1.0-0     Pango's FreeType backend (WeasyPrint loads it; not pulled in by libpango)
#   libharfbuzz-subset0   fast font subsetting (without it a CJK PDF takes ~40x longer)
#   poppler-utils         pdffonts/pdftotext, used by the tests and output self-checks
#   fonts-noto-core, fonts-noto-color-emoji
#                         glyphs beyond CJK (other scripts, symbols, emoji) so PDFs show no boxes
#   python3-venv          to create .venv (only when the Python lacks venv/ensurepip)
# Extra packages can be passed as arguments (the test set-up adds what its tests need).
set -euo pipefail

packages=(fonts-noto-cjk fonts-noto-core fonts-noto-color-emoji libpango-1.0-0 libpangoft2-1.0-0
  libharfbuzz-subset0 poppler-utils "$@")
python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  packages+=(python3-venv)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "townplans: 需要系统软件包 ${missing[*]}，但本机没有 apt-get：请用本系统的包管理器安装对应软件包。" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "townplans: 缺少系统软件包 ${missing[*]}。请以管理员身份运行：" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "townplans: 安装系统软件包 ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
