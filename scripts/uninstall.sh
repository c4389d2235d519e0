#!/usr/bin/env bash
# Remove the kiosk from a terminal (docs/deploy.md, "Uninstall").
#
#   sudo /opt/bianmin/scripts/uninstall.sh               # refuses while submissions are pending
#   sudo /opt/bianmin/scripts/uninstall.sh --keep-data   # removes the program, keeps outbox + config
#
# Pending submissions (outbox rows not yet acknowledged by the hall) are citizens' applications:
# by default this refuses to remove anything while there are any, and leaves the kiosk running so
# it can send them. --keep-data removes the program but keeps /var/lib/bianmin-kiosk and
# /etc/bianmin (a later install.sh picks them up and sends what is pending). Only
# --discard-pending N, naming how many will be destroyed, deletes them.
# Exit codes: 0 removed, 3 refused (pending submissions), 2 usage error.
set -euo pipefail

ROOT=/
KEEP=0
DISCARD=""
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$(cd "${2:?}" && pwd); shift 2 ;;
    --keep-data) KEEP=1; shift ;;
    --discard-pending) DISCARD=${2:?}; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "uninstall.sh: run as root (sudo)" >&2; exit 2; }
R=${ROOT%/}
REAL=1; [ -n "$R" ] && REAL=0
APP=/opt/bianmin
STATE=/var/lib/bianmin-kiosk
OUTBOX=$STATE/outbox.sqlite3

# Pending rows, read with Python's sqlite3 (sqlite3 the program is not installed on a terminal).
pending() {
  local py=python3
  [ -x "$R$APP/.venv/bin/python" ] && py="$R$APP/.venv/bin/python"
  "$py" - "$R$OUTBOX" <<'PY'
import shutil, sqlite3, sys, tempfile
from pathlib import Path
path = Path(sys.argv[1])
if not path.exists():
    print(0); sys.exit(0)
# Read a copy (with its -wal, where rows may still sit after a crash): opening the live file,
# even read-only, would create -shm/-wal files in the outbox directory.
with tempfile.TemporaryDirectory() as tmp:
    for suffix in ("", "-wal"):
        if Path(f"{path}{suffix}").exists():
            shutil.copy(f"{path}{suffix}", f"{tmp}/outbox.sqlite3{suffix}")
    db = sqlite3.connect(f"{tmp}/outbox.sqlite3")
    try:
        print(db.execute("SELECT count(*) FROM outbox WHERE state = 'pending'").fetchone()[0])
    except sqlite3.OperationalError:                     # no table yet: nothing was ever queued
        print(0)
    finally:
        db.close()
PY
}

# Stop the kiosk first so nothing is added meanwhile; start it again if we refuse.
WAS_ACTIVE=0
if [ "$REAL" -eq 1 ] && systemctl is-active --quiet kiosk.service 2>/dev/null; then
  WAS_ACTIVE=1
  systemctl stop kiosk.service
fi
n=$(pending)
if [ "$n" -gt 0 ] && [ "$KEEP" -eq 0 ] && [ "$DISCARD" != "$n" ]; then
  [ "$WAS_ACTIVE" -eq 1 ] && systemctl start kiosk.service
  cat >&2 <<EOF
uninstall.sh: refused: $n submission(s) in $OUTBOX have not reached the hall yet.
  - connect the terminal to the hall and wait: the kiosk (running again) sends them by itself;
    run this again when \`kiosk doctor\` / the hall console shows 0 pending;
  - or keep them: uninstall.sh --keep-data (program removed; outbox and config stay for a reinstall);
  - or destroy them, knowingly: uninstall.sh --discard-pending $n
EOF
  exit 3
fi

echo "== removing kiosk.service, the session files, udev rules, modules list"
# Exactly what install.sh laid down outside /opt (its manifest), plus the fixed names of old installs.
files=("/etc/udev/rules.d/99-bianmin-kiosk.rules" "/etc/modules-load.d/bianmin-kiosk.conf" "/etc/systemd/system/kiosk.service")
if [ -f "$R/etc/bianmin/installed-files" ]; then
  while IFS= read -r f; do case "$f" in /etc/*|/usr/local/*) files+=("$f") ;; esac; done < "$R/etc/bianmin/installed-files"
fi
units=()
for f in "${files[@]}"; do
  case "$f" in /etc/systemd/system/*.service|/etc/systemd/system/*.target|/etc/systemd/system/*.path|/etc/systemd/system/*.socket)
    units+=("$(basename "$f")") ;; esac
done
if [ "$REAL" -eq 1 ]; then
  systemctl disable "${units[@]}" >/dev/null 2>&1 || true
else
  systemctl --root="$ROOT" disable "${units[@]}" >/dev/null 2>&1 || true
fi
for f in "${files[@]}"; do
  rm -f "$R$f"
  d=$(dirname "$R$f")
  case "$d" in *.d) rmdir "$d" 2>/dev/null || true ;; esac       # a drop-in directory left empty
done
rm -f "$R/etc/bianmin/installed-files"
# The session (deploy/install-session.sh) masked tty1's login prompt and Ctrl+Alt+Del: give them back.
if [ -f "$R$APP/deploy/uninstall-session.sh" ]; then
  ROOT="$ROOT" APP="$APP" bash "$R$APP/deploy/uninstall-session.sh"
elif [ -f "$R$APP/deploy/install-session.sh" ]; then
  if [ "$REAL" -eq 1 ]; then sd=(systemctl); else sd=(systemctl --root="$ROOT"); fi
  "${sd[@]}" unmask getty@tty1.service ctrl-alt-del.target >/dev/null 2>&1 || true
fi
echo "== removing $APP"
rm -rf "$R$APP"
if [ "$KEEP" -eq 1 ]; then
  echo "kept: $STATE ($n pending) and /etc/bianmin; the user kiosk stays as their owner"
else
  rm -rf "$R$STATE" "$R/etc/bianmin"
  # userdel drops the user's own group only where login.defs says USERGROUPS_ENAB: do it ourselves.
  if [ "$REAL" -eq 1 ]; then
    if id kiosk >/dev/null 2>&1; then userdel kiosk; fi
    if getent group kiosk >/dev/null; then groupdel kiosk; fi
  else
    if grep -q '^kiosk:' "$R/etc/passwd"; then userdel --root "$ROOT" kiosk; fi
    if grep -q '^kiosk:' "$R/etc/group"; then groupdel --root "$ROOT" kiosk; fi
  fi
  if [ -n "$DISCARD" ]; then echo "discarded $DISCARD pending submission(s), as asked"; fi
fi
if [ "$REAL" -eq 1 ]; then
  systemctl daemon-reload
  udevadm control --reload 2>/dev/null || true
fi
echo "uninstalled"
