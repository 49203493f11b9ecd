#!/usr/bin/env bash
# Install the Debian packages the handbook builder needs, when missing.
#   runtime: CJK fonts and what WeasyPrint needs (Pango, HarfBuzz with its subsetter)
#   test:    poppler-utils (pdftotext, pdffonts, pdftoppm) with poppler-data (the CMaps it needs to draw
#            the forms' reader-supplied Chinese field font), qpdf, LibreOffice (DOCX checks), chromium
#            (the portal's pages in a headless browser, driven by the venv's playwright: tests/browser.py)
#   bench:   (--bench) the baselines of bench/bench.py: pandoc, LibreOffice (soffice --convert-to pdf)
set -euo pipefail
want=(fonts-noto-cjk fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 shared-mime-info)
case "${1:-}" in
  --test) want+=(poppler-utils poppler-data qpdf libreoffice-writer-nogui libreoffice-calc-nogui chromium nodejs) ;;
  --bench) want+=(pandoc libreoffice-writer-nogui) ;;
esac
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing system packages: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fc-cache -f >/dev/null 2>&1 || true
