#!/usr/bin/env bash
# Lays down the kiosk session (deploy/session/): X on tty1 with no window manager for the kiosk
# user, kiosk.service drawing on it, no text consoles, no SysRq, no power key. Called by
# scripts/install.sh after the release is in $APP; safe to run again (an upgrade overwrites the
# same files). docs/deploy.md, "Kiosk session", says what each file does.
#
# Environment: ROOT (/ or a directory root for a test install), APP (/opt/bianmin), MANIFEST
# (optional: a file each destination path is appended to).
set -euo pipefail
ROOT=${ROOT:-/}
APP=${APP:-/opt/bianmin}
R=${ROOT%/}
S="$R$APP/deploy/session"
[ -f "$S/bianmin-x.service" ] || { echo "install-session.sh: $S/bianmin-x.service missing" >&2; exit 1; }

put() {   # put SOURCE DEST MODE: install with /opt/bianmin rewritten to $APP
  install -d -m 0755 "$(dirname "$2")"
  sed "s#/opt/bianmin#$APP#g" "$1" > "$2.tmp"
  chmod "$3" "$2.tmp"
  mv -f "$2.tmp" "$2"
  # install.sh lists what it laid down (/etc/bianmin/installed-files) so uninstall.sh removes it
  if [ -n "${MANIFEST:-}" ]; then echo "${2#"$R"}" >> "$MANIFEST"; fi
}

chmod 0755 "$S/bianmin-x"
put "$S/bianmin-x.service"            "$R/etc/systemd/system/bianmin-x.service"                 0644
put "$S/kiosk-session.conf"           "$R/etc/systemd/system/kiosk.service.d/10-session.conf"   0644
put "$S/10-bianmin-kiosk.conf"        "$R/etc/X11/xorg.conf.d/10-bianmin-kiosk.conf"            0644
put "$S/logind-bianmin-kiosk.conf"    "$R/etc/systemd/logind.conf.d/bianmin-kiosk.conf"         0644
put "$S/sysctl-bianmin-kiosk.conf"    "$R/etc/sysctl.d/90-bianmin-kiosk.conf"                   0644

if [ "$R" = "" ]; then
  sd=(systemctl)
else
  sd=(systemctl --root="$ROOT")
fi
# tty1 belongs to the display; Ctrl+Alt+Del on a public keyboard must not reboot the terminal.
"${sd[@]}" mask getty@tty1.service ctrl-alt-del.target >/dev/null 2>&1 || echo "install-session.sh: could not mask getty@tty1 / ctrl-alt-del.target" >&2
"${sd[@]}" enable bianmin-x.service >/dev/null 2>&1 || { echo "install-session.sh: systemctl enable bianmin-x.service failed" >&2; exit 1; }
# boot to the display, not to a text login (a test root without systemd's targets has no target to point at)
"${sd[@]}" set-default graphical.target >/dev/null 2>&1 || [ "$R" != "" ] || { echo "install-session.sh: systemctl set-default graphical.target failed" >&2; exit 1; }
if [ "$R" = "" ]; then
  sysctl -q -p /etc/sysctl.d/90-bianmin-kiosk.conf || true
  systemctl daemon-reload
  # logind re-reads NAutoVTs/HandlePowerKey at its next start (the reboot after install)
fi
echo "kiosk session: bianmin-x.service on tty1 (X, no window manager), kiosk.service draws on :0"
