#!/usr/bin/env bash
# Install the Debian packages the handbook builder needs, when missing.
#   runtime: CJK fonts, fontconfig (fc-match finds the face of the signature seal), what
#            WeasyPrint needs (Pango, HarfBuzz with its subsetter), and
#            LibreOffice Writer (soffice), which lays out the Word handbooks to fill their
#            contents' page numbers
#   always:  python3-venv when the python3 on the PATH cannot make a venv (a plain Debian)
#   test:    poppler-utils (pdftotext, pdffonts, pdftoppm) with poppler-data (the CMaps it
#            needs to draw the forms' reader-supplied Chinese field font), qpdf, LibreOffice
#            Calc (XLSX checks), nodejs (runs the PDF forms' calculation scripts), chromium
#            (the portal's pages in a headless browser, driven by the venv's playwright, whose
#            driver needs libatomic1: tests/browser.py), git (the diff tests' repositories)
#   bench:   (--bench) the baselines of bench/bench.py: pandoc (LibreOffice is already there)
set -euo pipefail
want=(fonts-noto-cjk fontconfig fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b
      libharfbuzz-subset0 shared-mime-info libreoffice-writer-nogui)
# A Debian python3 makes venvs only with python3-venv (ensurepip); other Pythons bring their own.
python3 -c 'import ensurepip' >/dev/null 2>&1 || want+=(python3-venv)
case "${1:-}" in
  --test) want+=(poppler-utils poppler-data qpdf libreoffice-calc-nogui chromium libatomic1 nodejs
                 git openssl) ;;
  --bench) want+=(pandoc libreoffice-calc-nogui) ;;
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
