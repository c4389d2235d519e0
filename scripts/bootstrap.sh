#!/usr/bin/env bash
# Set up everything `make demo`, `make test` and `make bench` need on a fresh Debian 12 machine:
# Debian packages (only those missing), a .venv with the pinned dependencies, the project itself.
# Re-running is fast and changes nothing: each step checks before it acts.
set -euo pipefail
cd "$(dirname "$0")/.."

# libgl1/libegl1: Kivy's GL (offscreen driver uses EGL); libmtdev1: silences Kivy's input probe;
# libzbar0: pyzbar; xvfb/xauth: a real X server for `make demo` with no display;
# systemd: `systemd-analyze verify` of our units in the tests; udev: `udevadm test` parses our
# udev rules in the tests; poppler-utils: pdftotext /
# pdftoppm to read the A4 report back in tests; cups-client: `lp` for A4 printing;
# libusb-1.0-0: USB receipt printers (pyusb); postgresql: the hall's tests run on it as well
# as SQLite (they start their own throw-away cluster); prometheus: promtool checks our alert
# rules; chromium + fonts-wqy-microhei: the console's end-to-end test (Playwright drives
# Debian's Chromium, never a downloaded browser) with Chinese glyphs;
# fonts-wqy-microhei: not needed at run time (the font ships in assets/) — not installed.
# nginx-light: `nginx -t` of config/nginx/hall.conf and a kiosk submitting through it
# (tests/integration/test_tls_nginx.py; its start-up is blocked by policy-rc.d in containers).
# xdotool: the kiosk escape test sends keys, clicks and presses to the app under Xvfb.
APT_PACKAGES="libgl1 libegl1 libmtdev1 libzbar0 xvfb xauth python3-venv systemd udev poppler-utils cups-client libusb-1.0-0 postgresql prometheus chromium fonts-wqy-microhei xdotool nginx-light"

missing=()
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$PYTHON" -m venv .venv
fi

# Reinstall only when what we depend on changed.
stamp=.venv/.bootstrap-stamp
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing Python dependencies (pinned in constraints.txt)"
  # Only one opencv-* wheel may own cv2/: a venv from before the switch to contrib has the plain one.
  if .venv/bin/pip show -q opencv-python-headless >/dev/null 2>&1; then
    .venv/bin/pip uninstall -y -q opencv-python-headless
  fi
  .venv/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
  echo "$want" > "$stamp"
fi
