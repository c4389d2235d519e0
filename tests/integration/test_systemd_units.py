"""Our systemd units and udev rules, checked by systemd's own tools where they can run here:
`systemd-analyze verify` and `systemd-analyze security --offline=true` (exposure at most 4.0),
and `udevadm test` reading our rules file with udev's parser (in a private mount namespace, with
/dev and /run/udev on tmpfs so that nothing on this machine changes). What needs a real udev with
a plugged-in reader or a real PID 1 cannot run here; docs/deploy.md says how to check it on site.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk import udev_rules

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "systemd" / "99-bianmin-kiosk.rules"
MAX_EXPOSURE = 4.0


def unit_here(tmp_path: Path, unit: str) -> Path:
    """The unit with /opt/bianmin pointed at this checkout: verify checks that ExecStart exists."""
    text = (ROOT / "systemd" / unit).read_text()
    (tmp_path / unit).write_text(text.replace("/opt/bianmin", str(ROOT)))
    return tmp_path / unit


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} missing: install the Debian package {'udev' if name == 'udevadm' else 'systemd'} "
                    "(scripts/bootstrap.sh does)")
    return path


def settings(unit: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in (ROOT / "systemd" / unit).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


@pytest.mark.parametrize("unit", ["kiosk.service", "hall.service"])
def test_unit_verifies(tmp_path, unit):
    tool("systemd-analyze")
    text = (ROOT / "systemd" / unit).read_text()
    assert "Restart=always" in text and "User=" in text and "EnvironmentFile=" in text
    path = unit_here(tmp_path, unit)
    proc = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True)
    complaints = [l for l in (proc.stdout + proc.stderr).splitlines() if unit in l or "Unknown" in l]
    assert proc.returncode == 0 and not complaints, proc.stdout + proc.stderr


def exposure(path: Path) -> float:
    proc = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(path)],
                          capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", proc.stdout)
    assert m, proc.stdout + proc.stderr
    return float(m.group(1))


@pytest.mark.parametrize("unit", ["kiosk.service", "hall.service"])
def test_exposure_at_most_4(tmp_path, unit):
    tool("systemd-analyze")
    level = exposure(unit_here(tmp_path, unit))
    assert level <= MAX_EXPOSURE, f"{unit}: exposure {level} > {MAX_EXPOSURE} (docs/deploy.md, Hardening)"


def test_exposure_measure_can_fail(tmp_path):
    """The same measure on an unhardened unit is far above the limit: the check is not vacuous."""
    tool("systemd-analyze")
    bare = tmp_path / "bare.service"
    bare.write_text(f"[Service]\nExecStart={ROOT}/scripts/install.sh\n")
    assert exposure(bare) > MAX_EXPOSURE


def test_kiosk_unit_keeps_its_devices_reachable():
    s = settings("kiosk.service")
    assert s["PrivateDevices"] == ["no"] and s["DevicePolicy"] == ["closed"]
    allowed = {v.split()[0]: v.split()[1] for v in s["DeviceAllow"]}
    # serial reader/scanner (ttyUSB bridges, CDC-ACM, on-board COM ports), camera, usblp and
    # libusb printers, the GPU for Kivy's GL.
    for group in ("char-ttyUSB", "char-ttyACM", "char-ttyS", "char-video4linux", "char-usb", "char-usb_device",
                  "char-drm"):
        assert allowed.get(group) == "rw", group
    assert s["SupplementaryGroups"] == ["dialout video lp"]
    assert s["User"] == ["kiosk"] and s["StateDirectory"] == ["bianmin-kiosk"]
    assert "AF_INET" in s["RestrictAddressFamilies"][0]          # hall and network printer
    assert "MemoryDenyWriteExecute" not in s                     # Mesa's llvmpipe JIT needs W+X
    assert s["ProtectHome"] == ["read-only"]                     # the Wayland socket in /run/user


def test_hall_unit_runs_as_its_own_user_with_a_state_directory():
    s = settings("hall.service")
    assert s["User"] == ["hall"] and s["Group"] == ["hall"]
    assert s["StateDirectory"] == ["bianmin-hall"] and s["WorkingDirectory"] == ["/var/lib/bianmin-hall"]
    assert s["PrivateDevices"] == ["yes"] and s["CapabilityBoundingSet"] == [""]


# ---- udev rules -----------------------------------------------------------------------------------

def test_every_rule_parses_and_every_named_device_maps_to_a_group():
    rules = udev_rules.load_rules(RULES)
    assert len(rules.rules) >= 15
    for r in rules.rules:
        if r.assigned("SYMLINK"):
            assert r.assigned("SYMLINK") in ("bianmin-idcard", "bianmin-scanner"), r
            assert r.matched("SUBSYSTEM") == "tty" and r.assigned("GROUP") == "dialout", r
            assert r.assigned("MODE") == "0660" and r.assigned("ENV{ID_MM_DEVICE_IGNORE}") == "1", r
            assert r.assigns["SYMLINK"][0] == "+=", "SYMLINK+= keeps udev's own by-id links"
        vendor = r.matched("ATTRS{idVendor}") or r.matched("ATTR{idVendor}")
        if vendor or r.matched("SUBSYSTEM") == "usb":
            assert r.assigned("GROUP") in ("dialout", "video", "lp") and r.assigned("MODE") == "0660", r
        for key in ("ATTRS{idVendor}", "ATTRS{idProduct}", "ATTR{idVendor}", "ATTR{idProduct}"):
            if r.matched(key):
                assert re.fullmatch(r"[0-9a-f]{4}", r.matched(key)), (r.line, key, "lower-case hex, as sysfs has it")


def test_the_bridges_and_scanners_of_the_issue_are_covered():
    rules = udev_rules.load_rules(RULES)
    idcard = {u.shows_as() for u in rules.for_kind("idcard")}
    assert {"1a86:7523", "067b:2303", "10c4:ea60", "0403:6001"} <= idcard
    scanner = {u.vendor for u in rules.for_kind("scanner")}
    assert {"1eab", "05e0", "0c2e"} <= scanner                  # Newland, Zebra/Symbol, Honeywell
    pairs = [(u.vendor, u.product) for u in rules.usb_ids()]
    assert len(pairs) == len(set(pairs)), "one rule per USB ID: two would fight over the name"
    every = rules.usb_ids()
    for u in every:
        assert u.comment, f"{u.shows_as()}: say above the rule what the device is"


def test_parser_rejects_what_udev_rejects():
    with pytest.raises(udev_rules.RulesError, match="cannot be assigned"):
        udev_rules.parse_rules('SUBSYSTEM=="tty", ATTRS{idVendor}="1a86", SYMLINK+="x"\n')
    with pytest.raises(udev_rules.RulesError, match="cannot read"):
        udev_rules.parse_rules('SUBSYSTEM=="tty" ATTRS{idVendor}=="1a86"\n')


def udevadm_test(rules_dir: Path) -> str:
    """`udevadm test` on a virtual tty, with our rules directory bind-mounted over
    /etc/udev/rules.d inside a private mount namespace; /dev and /run/udev are fresh tmpfs there,
    so udev's simulated actions (links, permissions, its database) touch nothing real."""
    tool("udevadm")
    script = ("set -e; mount -t tmpfs none /dev; mkdir -p /run/udev; mount -t tmpfs none /run/udev; "
              f"mount --bind {rules_dir} /etc/udev/rules.d; udevadm test --action=add /sys/devices/virtual/tty/tty1")
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=60)
    out = proc.stdout + proc.stderr
    assert "Reading rules file: /etc/udev/rules.d/" in out, out[-3000:]
    return out


def test_udev_parses_our_rules_without_complaint(tmp_path):
    shutil.copy(RULES, tmp_path / RULES.name)
    out = udevadm_test(tmp_path)
    assert f"Reading rules file: /etc/udev/rules.d/{RULES.name}" in out
    complaints = [l for l in out.splitlines() if RULES.name in l and "Reading rules file" not in l]
    assert complaints == [], complaints


def test_udev_check_catches_a_broken_rule(tmp_path):
    """The same check fails on a typo a technician could make (= instead of ==)."""
    broken = RULES.read_text().replace('ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="7523"',
                                       'ATTRS{idVendor}="1a86", ATTRS{idProduct}=="7523"')
    (tmp_path / RULES.name).write_text(broken)
    out = udevadm_test(tmp_path)
    assert any(RULES.name in l and "Invalid operator" in l for l in out.splitlines()), out[-2000:]
