#!/usr/bin/env bash
# Install or upgrade the kiosk on one terminal (docs/deploy.md). Run from an unpacked release:
#
#   sudo scripts/install.sh --hall https://hall.example.gov.cn --token-file T-0007.token
#   sudo scripts/install.sh                 # again, later: upgrade in place, config and outbox kept
#
# Lays down: the system user `kiosk`, /opt/bianmin (the program, root-owned) with its venv built
# from constraints.txt, /etc/bianmin/kiosk.toml (from config/kiosk.example.toml, hall URL,
# terminal ID and token filled in; never overwritten once there), /etc/bianmin/kiosk.env, the udev
# rules, /etc/modules-load.d/bianmin-kiosk.conf, the systemd units and the kiosk session files;
# then it runs `kiosk doctor`. The outbox (/var/lib/bianmin-kiosk) is never touched except for its
# owner and mode, so pending submissions survive any number of re-runs.
#
# `--hall-server` installs the hall server instead (docs/deploy.md, "The hall server"): the user
# `hall`, the same /opt/bianmin and venv, /etc/bianmin/hall.toml with absolute paths, hall.service.
#
# --root DIR lays everything down under DIR instead of / (tests, image builds): users are added
# with `useradd --root` (DIR/etc/passwd must exist), units enabled with `systemctl --root`, and
# nothing is started, reloaded or installed from apt on this machine.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=/
HALL_URL=""
TOKEN_FILE=""
TERMINAL_ID=""
CA_FILE=""
PIN=""
PYTHON=""
DO_APT=1
DO_PIP=1
DO_DOCTOR=1
DOCTOR_PYTHON=""
ROLE=kiosk
PIP_ARGS=()

usage() {
  cat <<'EOF'
usage: sudo scripts/install.sh [--hall URL] [--token-file FILE] [--terminal-id ID] [options]
       sudo scripts/install.sh --hall-server [options]

  --hall URL           the hall server (https://...); required on the first install
  --token-file FILE    the token from `hall terminal add` (the whole output of that command, or
                       just the token); required on the first install
  --terminal-id ID     the terminal's ID (default: read from the token file's "terminal ID enrolled")
  --ca-file FILE       the hall's CA certificate (PEM): copied to /etc/bianmin/hall-ca.pem, hall.ca_file
  --pin-sha256 PINS    pin the hall's certificate: hall.pin_sha256 (`python -m kiosk.tls hall.crt` prints it)
  --hall-server        install the hall server (hall.service, user hall), not a terminal
  --python PY          the Python (>= 3.11) for the venv (default: python3, else python3.11)
  --wheelhouse DIR     install Python packages only from this folder (no network)
  --no-apt             do not install the Debian/Ubuntu packages the kiosk needs
  --root DIR           lay everything down under DIR (tests, images); nothing is started
  --no-pip             (tests) create no venv and install no Python packages
  --no-doctor          do not run `kiosk doctor` at the end
  --doctor-python PY   (tests) run the final doctor with this Python instead of the venv's
EOF
}

die() { echo "install.sh: $*" >&2; exit 2; }
say() { echo "== $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --hall) HALL_URL=${2:?}; shift 2 ;;
    --token-file) TOKEN_FILE=${2:?}; shift 2 ;;
    --terminal-id) TERMINAL_ID=${2:?}; shift 2 ;;
    --ca-file) CA_FILE=${2:?}; shift 2 ;;
    --pin-sha256) PIN=${2:?}; shift 2 ;;
    --python) PYTHON=${2:?}; shift 2 ;;
    --hall-server) ROLE=hall; shift ;;
    --wheelhouse) PIP_ARGS+=(--no-index --find-links "${2:?}"); shift 2 ;;
    --no-apt) DO_APT=0; shift ;;
    --root) ROOT=$(cd "${2:?}" && pwd); shift 2 ;;
    --no-pip) DO_PIP=0; shift ;;
    --no-doctor) DO_DOCTOR=0; shift ;;
    --doctor-python) DOCTOR_PYTHON=${2:?}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option $1" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "run as root (sudo): it creates a user and writes to /etc and /opt"
R=${ROOT%/}                       # prefix for every path written: "" for the real system
REAL=1; [ -n "$R" ] && REAL=0

APP=/opt/bianmin
ETC=/etc/bianmin
if [ "$ROLE" = kiosk ]; then
  ACCOUNT=kiosk; STATE=/var/lib/bianmin-kiosk; CONFIG=$ETC/kiosk.toml; SERVICE=kiosk.service
else
  ACCOUNT=hall; STATE=/var/lib/bianmin-hall; CONFIG=$ETC/hall.toml; SERVICE=hall.service
  [ -z "$HALL_URL$TOKEN_FILE$TERMINAL_ID$CA_FILE$PIN" ] || die "--hall-server: --hall/--token-file/--terminal-id/--ca-file/--pin-sha256 are a terminal's"
fi
RULES=/etc/udev/rules.d/99-bianmin-kiosk.rules
MODULES=/etc/modules-load.d/bianmin-kiosk.conf
UNITS=/etc/systemd/system

# ---- what the first install needs ----------------------------------------------------------------
FIRST=1; [ -f "$R$CONFIG" ] && FIRST=0
TOKEN=""
if [ -n "$TOKEN_FILE" ]; then
  [ -r "$TOKEN_FILE" ] || die "--token-file $TOKEN_FILE: cannot read it"
  # The token is the last non-empty line: a bare token file, or the saved output of `hall terminal add`.
  TOKEN=$(grep -v '^[[:space:]]*$' "$TOKEN_FILE" | tail -n 1 | tr -d '[:space:]')
  [[ "$TOKEN" =~ ^[A-Za-z0-9_.~+/=-]{16,}$ ]] || die "--token-file $TOKEN_FILE: its last line is not a token (16+ characters of letters, digits, -_.~+/=)"
  if [ -z "$TERMINAL_ID" ]; then
    TERMINAL_ID=$(sed -n 's/^terminal \([^ ]*\) enrolled.*/\1/p' "$TOKEN_FILE" | head -n 1)
  fi
fi
if [ "$FIRST" -eq 1 ] && [ "$ROLE" = kiosk ]; then
  [ -n "$HALL_URL" ] || die "first install: --hall URL is required (the hall server's address)"
  [ -n "$TOKEN" ] || die "first install: --token-file FILE is required (from \`hall terminal add\`)"
  [ -n "$TERMINAL_ID" ] || die "first install: --terminal-id ID is required (the token file does not name it)"
fi
if [ -n "$HALL_URL" ]; then
  [[ "$HALL_URL" =~ ^https?://[^[:space:]\"]+$ ]] || die "--hall $HALL_URL: expected https://host[:port]"
  # The kiosk itself refuses plain http except on this machine (docs/deploy.md, Connection to the hall).
  if [[ "$HALL_URL" == http://* ]] && ! [[ "$HALL_URL" =~ ^http://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?(/.*)?$ ]]; then
    die "--hall $HALL_URL: plain http would send citizens' data in the clear; use https:// (with --ca-file or --pin-sha256 for the hall's own certificate)"
  fi
fi
if [ -n "$CA_FILE" ]; then
  [ "$FIRST" -eq 1 ] || die "--ca-file: $CONFIG exists and is kept; copy the file to $ETC/hall-ca.pem and set hall.ca_file there"
  grep -q -- "-----BEGIN CERTIFICATE-----" "$CA_FILE" 2>/dev/null || die "--ca-file $CA_FILE: not a PEM certificate (-----BEGIN CERTIFICATE-----); convert a .cer with openssl x509 -inform der -in ca.cer -out hall-ca.pem"
fi
[ -z "$PIN" ] || [ "$FIRST" -eq 1 ] || die "--pin-sha256: $CONFIG exists and is kept; set hall.pin_sha256 there"
[[ -z "$TERMINAL_ID" || "$TERMINAL_ID" =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || die "--terminal-id $TERMINAL_ID: letters, digits, - _ . only"

# ---- Debian/Ubuntu packages (real system only) ---------------------------------------------------
# libgl1/libegl1: Kivy's GL; libmtdev1: Kivy's input probe; libzbar0: pyzbar; libusb-1.0-0: USB
# printers; python3-venv: the venv. The kiosk session's packages come from deploy/session.packages.
if [ "$REAL" -eq 1 ] && [ "$DO_APT" -eq 1 ]; then
  if [ "$ROLE" = kiosk ]; then
    pkgs="libgl1 libegl1 libmtdev1 libzbar0 libusb-1.0-0 python3-venv udev"
    [ -f "$SRC/deploy/session.packages" ] && pkgs="$pkgs $(grep -v '^#' "$SRC/deploy/session.packages" | tr '\n' ' ')"
  else
    pkgs="python3-venv"
  fi
  missing=()
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "apt: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# ---- Python ---------------------------------------------------------------------------------------
if [ -z "$PYTHON" ]; then
  for p in python3 python3.13 python3.12 python3.11; do
    if command -v "$p" >/dev/null && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then PYTHON=$p; break; fi
  done
  [ -n "$PYTHON" ] || die "no Python >= 3.11 (Ubuntu 22.04: sudo apt install python3.11 python3.11-venv, then --python python3.11)"
fi
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "--python $PYTHON: Python >= 3.11 needed"

# ---- the service's user ---------------------------------------------------------------------------
# A system account without a login shell; home = the state directory. The kiosk gets group access
# to the devices (dialout: serial reader/scanner, video: camera, lp: printer) instead of root.
GROUPS_WANTED=""; [ "$ROLE" = kiosk ] && GROUPS_WANTED="dialout video lp render"
if [ "$REAL" -eq 1 ]; then
  if ! id "$ACCOUNT" >/dev/null 2>&1; then
    say "user: creating $ACCOUNT"
    useradd --system --user-group --home-dir "$STATE" --no-create-home --shell /usr/sbin/nologin \
            --comment "bianmin $ROLE" "$ACCOUNT"
  fi
  for g in $GROUPS_WANTED; do
    if getent group "$g" >/dev/null; then usermod -aG "$g" "$ACCOUNT"; fi
  done
else
  [ -f "$R/etc/passwd" ] && [ -f "$R/etc/group" ] || die "--root $ROOT: $ROOT/etc/passwd and $ROOT/etc/group must exist"
  if ! grep -q "^$ACCOUNT:" "$R/etc/passwd"; then
    say "user: creating $ACCOUNT under $ROOT"
    useradd --root "$ROOT" --system --user-group --home-dir "$STATE" --no-create-home \
            --shell /usr/sbin/nologin --comment "bianmin $ROLE" "$ACCOUNT"
  fi
  for g in $GROUPS_WANTED; do
    if grep -q "^$g:" "$R/etc/group"; then usermod --root "$ROOT" -aG "$g" "$ACCOUNT"; fi
  done
fi
KUID=$(awk -F: -v u="$ACCOUNT" '$1 == u {print $3}' "$R/etc/passwd")
KGID=$(awk -F: -v u="$ACCOUNT" '$1 == u {print $4}' "$R/etc/passwd")
[ -n "$KUID" ] && [ -n "$KGID" ] || die "user $ACCOUNT missing from $R/etc/passwd after useradd"

# ---- stop the running service before its files change (upgrade) -----------------------------------
WAS_ACTIVE=0
if [ "$REAL" -eq 1 ] && command -v systemctl >/dev/null && systemctl is-active --quiet "$SERVICE" 2>/dev/null; then
  WAS_ACTIVE=1
  say "stopping $SERVICE (SIGTERM: it finishes cleanly; the outbox and the database stay)"
  systemctl stop "$SERVICE"
fi

# ---- /opt/bianmin: the program ---------------------------------------------------------------------
# Only what a terminal runs: no tests, no venv of the source tree, no demo output. From git's list
# of files when the source is a checkout, so a stray local file is never shipped.
PARTS="kiosk terminal drivers screens hall assets config docs systemd scripts deploy pyproject.toml constraints.txt README.md LICENSE"
say "program: $APP"
stage="$R$APP.new"
rm -rf "$stage"; mkdir -p "$stage"
(
  cd "$SRC"
  present=(); for p in $PARTS; do [ -e "$p" ] && present+=("$p"); done
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached -- "${present[@]}" | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
      | tar --exclude='__pycache__' --exclude='*.pyc' --null -T - -cf -
  else
    tar -cf - --exclude='__pycache__' --exclude='*.pyc' --exclude='*.egg-info' "${present[@]}"
  fi
) | tar -C "$stage" -xf - --no-same-owner
git -C "$SRC" describe --always --dirty 2>/dev/null > "$stage/RELEASE" || echo "unknown" > "$stage/RELEASE"
chown -R 0:0 "$stage"
chmod -R u=rwX,go=rX "$stage"
chmod 0755 "$stage"/scripts/*.sh
mkdir -p "$R$APP"
chmod 0755 "$R$APP"
# Swap in the new tree, keeping the venv (.venv) and the pip stamp; the old tree goes in one move.
old="$R$APP.old"; rm -rf "$old"; mkdir -p "$old"
for entry in "$R$APP"/* "$R$APP"/.[!.]*; do
  [ -e "$entry" ] || continue
  case "$(basename "$entry")" in .venv) ;; *) mv "$entry" "$old/" ;; esac
done
for entry in "$stage"/* "$stage"/.[!.]*; do [ -e "$entry" ] && mv "$entry" "$R$APP/"; done
rm -rf "$stage" "$old"

# ---- the venv -------------------------------------------------------------------------------------
# Rebuilt only when pyproject.toml/constraints.txt or the Python changed (a stamp, as in
# scripts/bootstrap.sh); the project itself is installed editable so assets/ is found beside it.
if [ "$DO_PIP" -eq 1 ]; then
  venv="$R$APP/.venv"
  want=$( (cat "$R$APP/pyproject.toml" "$R$APP/constraints.txt"; "$PYTHON" -c 'import sys; print(sys.version)') | sha256sum | cut -d' ' -f1)
  if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    rm -rf "$venv"
  fi
  if [ ! -f "$venv/.install-stamp" ] || [ "$(cat "$venv/.install-stamp")" != "$want" ]; then
    [ -f "$venv/.install-stamp" ] && [ "$REAL" -eq 1 ] && say "venv: dependencies changed, reinstalling"
    if [ -n "$R" ] || [ ! -x "$venv/bin/python" ]; then
      # Under --root the venv's paths must be the final ones: build it at $R/opt/bianmin/.venv
      # (its scripts then name $R/...; docs/deploy.md says why an image build re-runs this on target).
      "$PYTHON" -m venv --clear "$venv"
    fi
    say "venv: pip install -c constraints.txt -e $APP"
    "$venv/bin/pip" install -q --disable-pip-version-check "${PIP_ARGS[@]}" -c "$R$APP/constraints.txt" -e "$R$APP"
    echo "$want" > "$venv/.install-stamp"
  else
    say "venv: up to date"
  fi
  # Byte-compile the new tree: at run time /opt is read-only to the service (ProtectSystem=strict).
  "$venv/bin/python" -m compileall -q "$R$APP/kiosk" "$R$APP/terminal" "$R$APP/drivers" "$R$APP/screens" "$R$APP/hall" >/dev/null
  chown -R 0:0 "$venv"
fi

finish_kiosk() {
  # ---- /etc/bianmin: configuration (kept once there) --------------------------------------------------
  install -d -o 0 -g "$KGID" -m 0750 "$R$ETC"
  if [ "$FIRST" -eq 1 ]; then
    say "config: $CONFIG (from config/kiosk.example.toml)"
    tmp=$(mktemp)
    # The example's three per-terminal values are replaced; every other line stays as documented.
    [ -z "$CA_FILE" ] || install -o 0 -g 0 -m 0644 "$CA_FILE" "$R$ETC/hall-ca.pem"
    CA=${CA_FILE:+$ETC/hall-ca.pem} PIN="$PIN" TOKEN="$TOKEN" HALL_URL="$HALL_URL" TERMINAL_ID="$TERMINAL_ID" \
      "$PYTHON" - "$R$APP/config/kiosk.example.toml" "$tmp" <<'PY'
import os, re, sys
src, dst = sys.argv[1], sys.argv[2]
text = open(src, encoding="utf-8").read()
values = {("terminal", "id"): os.environ["TERMINAL_ID"], ("hall", "url"): os.environ["HALL_URL"],
          ("hall", "token"): os.environ["TOKEN"]}
extra = {k: os.environ[v] for k, v in (("ca_file", "CA"), ("pin_sha256", "PIN")) if os.environ.get(v)}


def quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


out, table, done = [], "", set()
for line in text.splitlines(keepends=True):
    m = re.match(r"\s*\[([a-z_]+)\]", line)
    if m:
        table = m.group(1)
    k = re.match(r"(\s*)([a-z_]+)(\s*=\s*)\"[^\"]*\"(.*)", line)
    if k and (table, k.group(2)) in values:
        line = f'{k.group(1)}{k.group(2)}{k.group(3)}{quoted(values[(table, k.group(2))])}{k.group(4)}\n'
        done.add((table, k.group(2)))
    out.append(line)
    if k and (table, k.group(2)) == ("hall", "token"):
        # The hall's trust settings, if given, right below the token (docs/deploy.md, TLS).
        out += [f"{key} = {quoted(value)}\n" for key, value in extra.items()]
missing = set(values) - done
if missing:
    sys.exit(f"config/kiosk.example.toml has no {sorted(missing)}: cannot fill it in")
open(dst, "w", encoding="utf-8").write("".join(out))
PY
    install -o 0 -g "$KGID" -m 0640 "$tmp" "$R$CONFIG"      # holds the token: root writes, kiosk reads
    rm -f "$tmp"
  else
    say "config: $CONFIG kept"
    if [ -n "$HALL_URL$TOKEN$TERMINAL_ID" ]; then
      echo "install.sh: note: $CONFIG already exists and is kept as it is; --hall/--token-file/--terminal-id were not applied (edit the file to change them)" >&2
    fi
    chown 0:"$KGID" "$R$CONFIG"; chmod 0640 "$R$CONFIG"
  fi
  # The newest example beside it, to compare after an upgrade (like dpkg's .dpkg-dist).
  install -o 0 -g 0 -m 0644 "$R$APP/config/kiosk.example.toml" "$R$ETC/kiosk.example.toml"
  if [ ! -f "$R$ETC/kiosk.env" ]; then
    install -o 0 -g "$KGID" -m 0640 "$R$APP/systemd/kiosk.env.example" "$R$ETC/kiosk.env"
  fi

  # ---- state: the outbox lives here; created if missing, never emptied -----------------------------
  install -d -m 0755 "$R/var/lib"
  if [ -d "$R$STATE" ]; then
    say "state: $STATE kept ($(find "$R$STATE" -maxdepth 1 -name 'outbox.sqlite3*' | wc -l) outbox file(s))"
  else
    mkdir "$R$STATE"
  fi
  chown -R "$KUID:$KGID" "$R$STATE"
  chmod 0700 "$R$STATE"

  # ---- udev rules, modules, systemd units, kiosk session --------------------------------------------
  install -d -m 0755 "$R/etc/udev/rules.d" "$R/etc/modules-load.d" "$R$UNITS"
  install -o 0 -g 0 -m 0644 "$R$APP/systemd/99-bianmin-kiosk.rules" "$R$RULES"
  # Load the serial/camera drivers at boot: DeviceAllow=char-ttyUSB etc. are resolved from
  # /proc/devices when kiosk.service starts, so the driver must be there before, not at first plug.
  printf '# bianmin kiosk: DeviceAllow=char-* in kiosk.service needs these at boot\nusbserial\ncdc_acm\nvideodev\n' > "$R$MODULES"
  chmod 0644 "$R$MODULES"; chown 0:0 "$R$MODULES"
  install -o 0 -g 0 -m 0644 "$R$APP/systemd/kiosk.service" "$R$UNITS/kiosk.service"
  # The kiosk session: every other unit and drop-in directory in systemd/ (tty1 auto-login, the
  # compositor or X session …) goes to /etc/systemd/system, and deploy/rootfs/PATH to /PATH. A
  # manifest of everything laid down outside /opt lets an upgrade remove what a release dropped
  # and uninstall.sh remove exactly what was installed.
  SESSION_UNITS=()
  manifest=$(mktemp)
  printf '%s\n' "$RULES" "$MODULES" "$UNITS/kiosk.service" > "$manifest"
  for f in "$R$APP"/systemd/*.service "$R$APP"/systemd/*.target "$R$APP"/systemd/*.path "$R$APP"/systemd/*.socket; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    case "$name" in kiosk.service|hall.service) continue ;; esac
    install -o 0 -g 0 -m 0644 "$f" "$R$UNITS/$name"
    echo "$UNITS/$name" >> "$manifest"
    if grep -q '^\[Install\]' "$f"; then SESSION_UNITS+=("$name"); fi
  done
  for d in "$R$APP"/systemd/*.d; do
    [ -d "$d" ] || continue
    install -d -o 0 -g 0 -m 0755 "$R$UNITS/$(basename "$d")"
    for f in "$d"/*; do
      [ -f "$f" ] || continue
      install -o 0 -g 0 -m 0644 "$f" "$R$UNITS/$(basename "$d")/$(basename "$f")"
      echo "$UNITS/$(basename "$d")/$(basename "$f")" >> "$manifest"
    done
  done
  if [ -d "$R$APP/deploy/rootfs" ]; then
    while IFS= read -r -d '' f; do
      rel=${f#"$R$APP/deploy/rootfs"}
      mode=0644; [ -x "$f" ] && mode=0755
      install -D -o 0 -g 0 -m "$mode" "$f" "$R$rel"
      echo "$rel" >> "$manifest"
    done < <(find "$R$APP/deploy/rootfs" -type f -print0 | sort -z)
  fi
  # The kiosk session proper (deploy/session/: X on tty1 for the kiosk user), laid down by its own
  # script, which appends what it writes to the manifest.
  if [ -f "$R$APP/deploy/install-session.sh" ]; then
    ROOT="$ROOT" APP="$APP" MANIFEST="$manifest" bash "$R$APP/deploy/install-session.sh"
  fi
  # What the previous release laid down and this one does not: removed (a unit it dropped).
  if [ -f "$R$ETC/installed-files" ]; then
    { grep -vxF -f "$manifest" "$R$ETC/installed-files" || true; } | while IFS= read -r gone; do
      case "$gone" in /etc/*|/usr/local/*) rm -f "$R$gone" && echo "removed $gone (not in this release)" ;; esac
    done
  fi
  install -o 0 -g 0 -m 0644 "$manifest" "$R$ETC/installed-files"
  rm -f "$manifest"

  # ---- start ---------------------------------------------------------------------------------------
  if [ "$REAL" -eq 1 ]; then
    udevadm control --reload 2>/dev/null || true
    udevadm trigger --action=add --subsystem-match=tty --subsystem-match=usb --subsystem-match=video4linux 2>/dev/null || true
    for m in usbserial cdc_acm videodev; do modprobe -q "$m" 2>/dev/null || true; done
    systemctl daemon-reload
    systemctl enable kiosk.service "${SESSION_UNITS[@]}" >/dev/null
    if [ "$WAS_ACTIVE" -eq 1 ] || [ "$FIRST" -eq 0 ]; then
      say "starting kiosk.service"
      systemctl start kiosk.service || echo "install.sh: kiosk.service did not start: journalctl -u kiosk -b" >&2
    fi
  else
    systemctl --root="$ROOT" enable kiosk.service "${SESSION_UNITS[@]}" >/dev/null 2>&1 \
      || die "systemctl --root=$ROOT enable kiosk.service ${SESSION_UNITS[*]} failed"
  fi

  # ---- the verdict -----------------------------------------------------------------------------------
  echo "installed: $(cat "$R$APP/RELEASE") in $APP (config $CONFIG, outbox $STATE)"
  if [ "$DO_DOCTOR" -eq 1 ]; then
    say "kiosk doctor"
    py=${DOCTOR_PYTHON:-$R$APP/.venv/bin/python}
    if (cd "$R$APP" && "$py" -m terminal.doctor --config "$R$CONFIG" --root "$ROOT"); then
      echo "kiosk doctor: all checks passed"
    else
      echo "kiosk doctor found problems: fix the [FAIL] lines above, then run" \
           "sudo $APP/.venv/bin/kiosk --config $CONFIG doctor  (docs/deploy.md, Troubleshooting)"
    fi
  fi
  if [ "$FIRST" -eq 1 ] && [ "$REAL" -eq 1 ]; then
    echo "next: check the devices with kiosk doctor, then reboot (the kiosk session starts on tty1)"
  fi
}

finish_hall() {
  install -d -o 0 -g "$KGID" -m 0750 "$R$ETC"
  # The catalogue of matters is the hall's own data from now on: copied once, kept by upgrades.
  if [ ! -d "$R$ETC/catalog" ]; then
    cp -r "$R$APP/config/catalog" "$R$ETC/catalog"
    chown -R 0:"$KGID" "$R$ETC/catalog"
    find "$R$ETC/catalog" -type d -exec chmod 0750 {} + ; find "$R$ETC/catalog" -type f -exec chmod 0640 {} +
  fi
  if [ "$FIRST" -eq 1 ]; then
    say "config: $CONFIG (from config/hall.toml, paths made absolute)"
    tmp=$(mktemp)
    # The service's working directory is its state directory and /opt is read-only to it, so
    # every path in hall.toml is absolute (relative ones would name the source tree's).
    "$PYTHON" - "$R$APP/config/hall.toml" "$tmp" <<'PY'
import re, sys
values = {"database_url": "sqlite:////var/lib/bianmin-hall/hall.db", "catalog_dir": "/etc/bianmin/catalog",
          "holidays_dir": "/opt/bianmin/config/holidays", "metrics_token_file": "/var/lib/bianmin-hall/metrics.token"}
out, done = [], set()
for line in open(sys.argv[1], encoding="utf-8").read().splitlines(keepends=True):
    k = re.match(r'([a-z_]+)(\s*=\s*)"[^"]*"(.*)', line)
    if k and k.group(1) in values:
        comment = "    # absolute: set by install.sh" if k.group(1) == "database_url" else k.group(3)
        line = f'{k.group(1)}{k.group(2)}"{values[k.group(1)]}"{comment}\n'
        done.add(k.group(1))
    out.append(line)
if set(values) - done:
    sys.exit(f"config/hall.toml has no {sorted(set(values) - done)}: cannot fill it in")
open(sys.argv[2], "w", encoding="utf-8").write("".join(out))
PY
    install -o 0 -g "$KGID" -m 0640 "$tmp" "$R$CONFIG"
    rm -f "$tmp"
  else
    say "config: $CONFIG kept"
    chown 0:"$KGID" "$R$CONFIG"; chmod 0640 "$R$CONFIG"
  fi
  install -o 0 -g 0 -m 0644 "$R$APP/config/hall.toml" "$R$ETC/hall.example.toml"
  if [ ! -f "$R$ETC/hall.env" ]; then
    # Secrets stay out of the TOML: the database password goes here (hall.service reads it).
    printf '# /etc/bianmin/hall.env: secrets for hall.service (mode 0640, group hall)\n# HALL_DATABASE_URL=postgresql+psycopg://hall:PASSWORD@localhost/hall\n' > "$R$ETC/hall.env"
    chown 0:"$KGID" "$R$ETC/hall.env"; chmod 0640 "$R$ETC/hall.env"
  fi
  install -d -m 0755 "$R/var/lib"
  install -d -o "$KUID" -g "$KGID" -m 0750 "$R$STATE"       # also StateDirectory= of the unit
  install -d -m 0755 "$R$UNITS"
  install -o 0 -g 0 -m 0644 "$R$APP/systemd/hall.service" "$R$UNITS/hall.service"
  if [ "$REAL" -eq 1 ]; then
    systemctl daemon-reload
    systemctl enable hall.service >/dev/null
    if [ "$WAS_ACTIVE" -eq 1 ] || [ "$FIRST" -eq 0 ]; then
      say "starting hall.service (its ExecStartPre migrates the database first)"
      systemctl start hall.service || echo "install.sh: hall.service did not start: journalctl -u hall -b" >&2
    fi
  else
    systemctl --root="$ROOT" enable hall.service >/dev/null 2>&1 || die "systemctl --root=$ROOT enable hall.service failed"
  fi
  echo "installed: $(cat "$R$APP/RELEASE") in $APP (config $CONFIG, database and state $STATE)"
  if [ "$FIRST" -eq 1 ]; then
    echo "next: edit $CONFIG (hall_name, host/port, TLS: docs/deploy.md), then"
    echo "  sudo systemctl start hall"
    echo "  sudo -u hall $APP/.venv/bin/hall user add … --config $CONFIG     (console accounts, docs/hall.md)"
    echo "  sudo -u hall $APP/.venv/bin/hall terminal add --id T-… --name … --location … --config $CONFIG > T-….token"
  fi
}

if [ "$ROLE" = kiosk ]; then finish_kiosk; else finish_hall; fi
