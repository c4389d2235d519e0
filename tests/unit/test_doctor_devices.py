"""`kiosk doctor` on devices: each line names the device, its state and the exact fix.

A terminal is laid out under tmp_path (Host(root=...)): its /etc/passwd and /etc/group, a fake
/sys with the USB devices `lsusb` would list, and /dev entries. A present serial device is a real
pseudo-terminal (a real character device that pyserial opens); what cannot exist here (a real
ttyUSB, udev) is replaced by those files, and the doctor reads them exactly as it reads /sys.
"""
import dataclasses
import errno
import os
import shutil
from pathlib import Path

import pytest

from terminal import doctor
from kiosk.config import KioskConfig, load_config
from terminal.doctor import Host, Verdict, run_doctor

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "systemd" / "99-bianmin-kiosk.rules"
KIOSK_UID, KIOSK_GID, DIALOUT, VIDEO, LP = 999, 999, 20, 44, 7


def make_terminal(tmp_path: Path, kiosk_groups=("dialout", "video", "lp"), rules=True) -> Host:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text(
        f"root:x:0:0:root:/root:/bin/bash\nkiosk:x:{KIOSK_UID}:{KIOSK_GID}::/var/lib/bianmin-kiosk:/usr/sbin/nologin\n")
    members = lambda g: "kiosk" if g in kiosk_groups else ""          # noqa: E731
    (root / "etc" / "group").write_text(
        f"root:x:0:\nlp:x:{LP}:{members('lp')}\ndialout:x:{DIALOUT}:{members('dialout')}\n"
        f"video:x:{VIDEO}:{members('video')}\nkiosk:x:{KIOSK_GID}:\n")
    if rules:
        (root / "etc" / "udev" / "rules.d").mkdir(parents=True)
        shutil.copy(RULES, root / "etc" / "udev" / "rules.d" / RULES.name)
    (root / "dev").mkdir()
    (root / "sys" / "bus" / "usb" / "devices").mkdir(parents=True)
    return Host(root=root)


def plug_usb(host: Host, vendor: str, product: str, name: str = "", tty: str = "", bus=1, dev=4) -> None:
    """A USB device as sysfs shows it: /sys/devices/.../1-2 with idVendor/idProduct, linked from
    /sys/bus/usb/devices/1-2; with `tty`, its serial interface's /sys/class/tty/NAME/device."""
    sys = host.root / "sys"
    port = f"{bus}-{dev}"
    node = sys / "devices" / "pci0000:00" / "0000:00:14.0" / f"usb{bus}" / port
    node.mkdir(parents=True)
    for attr, value in (("idVendor", vendor), ("idProduct", product), ("product", name),
                        ("busnum", str(bus)), ("devnum", str(dev))):
        (node / attr).write_text(value + "\n")
    (sys / "bus" / "usb" / "devices" / port).symlink_to(node)
    if tty:
        iface = node / f"{port}:1.0" / tty
        iface.mkdir(parents=True)
        (sys / "class" / "tty" / tty).mkdir(parents=True)
        (sys / "class" / "tty" / tty / "device").symlink_to(iface)


@pytest.fixture
def pty_device():
    """A real character device pyserial can open: the slave side of a pseudo-terminal."""
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.chown(path, 0, DIALOUT)          # what the udev rule does to the reader's node
    os.chmod(path, 0o660)
    yield path
    os.close(slave)
    os.close(master)


def serial_cfg(port="/dev/bianmin-idcard", scanner="none", **printer) -> KioskConfig:
    cfg = KioskConfig()
    return dataclasses.replace(
        cfg, idcard=dataclasses.replace(cfg.idcard, driver="serial", port=port),
        scanner=dataclasses.replace(cfg.scanner, driver=scanner),
        printer=dataclasses.replace(cfg.printer, **printer) if printer else cfg.printer)


# ---- the ID card reader ------------------------------------------------------------------------

def test_reader_absent_names_the_usb_ids_and_the_rules_file(tmp_path):
    host = make_terminal(tmp_path)
    v = doctor._reader(serial_cfg(), host)
    assert not v.ok
    assert v.what == "身份证读卡器 /dev/bianmin-idcard 不存在"
    assert "检查 USB 线" in v.fix
    for usb_id in ("1a86:7523", "067b:2303", "10c4:ea60", "0403:6001"):   # the bridges the rules cover
        assert usb_id in v.fix
    assert "/etc/udev/rules.d/99-bianmin-kiosk.rules" in v.fix and "docs/deploy.md" in v.fix


def test_reader_plugged_but_no_link_says_reload_udev(tmp_path):
    host = make_terminal(tmp_path)
    plug_usb(host, "1a86", "7523", "USB Serial", tty="ttyUSB0")
    v = doctor._reader(serial_cfg(), host)
    assert not v.ok
    assert "USB 上有 1a86:7523" in v.fix and "规则未生效" in v.fix
    assert "udevadm control --reload" in v.fix and "udevadm trigger" in v.fix


def test_reader_of_the_usb_only_kind_is_named_with_what_to_do(tmp_path):
    host = make_terminal(tmp_path)
    plug_usb(host, "0400", "c35a", "IDR")
    v = doctor._reader(serial_cfg(), host)
    assert not v.ok
    assert "0400:c35a" in v.fix and "USB 直连" in v.fix and "串口" in v.fix


def test_reader_without_rules_file_says_install_them(tmp_path):
    host = make_terminal(tmp_path, rules=False)
    v = doctor._reader(serial_cfg(), host)
    assert not v.ok and "缺失或损坏" in v.fix and "install -m 0644" in v.fix
    rules_line = doctor._rules(host)
    assert not rules_line.ok and "udevadm control --reload" in rules_line.fix


def test_reader_present_opens_and_shows_its_usb_id(tmp_path, pty_device):
    host = make_terminal(tmp_path)
    plug_usb(host, "1a86", "7523", "USB Serial", tty="ttyUSB0")
    (host.root / "dev" / "ttyUSB0").symlink_to(pty_device)        # stands for the kernel's node
    (host.root / "dev" / "bianmin-idcard").symlink_to("ttyUSB0")  # as udev links it: relative
    v = doctor._reader(serial_cfg(), host)
    assert v.ok, v
    assert v.what.startswith("身份证读卡器 /dev/bianmin-idcard → ttyUSB0（USB 1a86:7523） 可以打开")
    assert "device idcard" in v.what and "systemctl stop kiosk" in v.what


def test_reader_held_by_the_running_kiosk_is_not_opened_again(pty_device):
    import serial
    with serial.Serial(pty_device, 115200):            # the kiosk app holding the reader
        v = doctor._serial_device(Host(), "身份证读卡器", "idcard", pty_device, 115200)
    assert v.ok and f"正由进程 {os.getpid()}" in v.what


def test_reader_without_group_access_names_owner_group_mode_and_usermod(tmp_path):
    host = make_terminal(tmp_path, kiosk_groups=("video", "lp"))     # kiosk not in dialout
    node = host.root / "dev" / "ttyUSB0"
    node.write_bytes(b"")
    os.chown(node, 0, DIALOUT)
    node.chmod(0o660)
    (host.root / "dev" / "bianmin-idcard").symlink_to("ttyUSB0")
    v = doctor._reader(serial_cfg(), host)
    assert not v.ok
    assert "用户 kiosk 没有读写权限" in v.what and "属组 dialout" in v.what and "crw" not in v.what
    assert "-rw-rw----" in v.what
    assert v.fix.startswith("sudo usermod -aG dialout kiosk && sudo systemctl restart kiosk")


def test_group_access_counts_when_kiosk_is_in_the_group(tmp_path):
    host = make_terminal(tmp_path)
    node = host.root / "dev" / "lp0"
    node.write_bytes(b"")
    os.chown(node, 0, LP)
    node.chmod(0o660)
    assert doctor._access_problem(host, node, want_write=True) == ""
    node.chmod(0o640)                                  # group may read but not write
    assert "没有读写权限" in doctor._access_problem(host, node, want_write=True)


def test_busy_port_fix_names_modemmanager():
    fix = doctor._open_fix(errno.EBUSY, "/dev/bianmin-idcard")
    assert "ModemManager" in fix and "systemctl disable --now ModemManager" in fix and "fuser" in fix


def test_port_not_under_the_udev_name_suggests_it(tmp_path):
    host = make_terminal(tmp_path)
    v = doctor._reader(serial_cfg(port="/dev/ttyUSB3"), host)
    assert not v.ok and "/dev/bianmin-idcard" in v.fix


# ---- scanner, camera, printer -------------------------------------------------------------------

def test_serial_scanner_absent_lists_scanner_vendors(tmp_path):
    host = make_terminal(tmp_path)
    cfg = serial_cfg(scanner="serial")
    cfg = dataclasses.replace(cfg, scanner=dataclasses.replace(cfg.scanner, port="/dev/bianmin-scanner"))
    v = doctor._scanner(cfg, host)
    assert not v.ok and v.what == "扫码器 /dev/bianmin-scanner 不存在"
    assert "1eab:*" in v.fix and "05e0:*" in v.fix and "0c2e:*" in v.fix


def test_camera_index_maps_to_dev_video_and_needs_group_video(tmp_path):
    host = make_terminal(tmp_path, kiosk_groups=("dialout", "lp"))
    cfg = KioskConfig()
    cfg = dataclasses.replace(cfg, scanner=dataclasses.replace(cfg.scanner, driver="camera", device="0"))
    v = doctor._scanner(cfg, host)
    assert not v.ok and v.what == "摄像头（扫码） /dev/video0 不存在"
    node = host.root / "dev" / "video0"
    node.write_bytes(b"")
    os.chown(node, 0, VIDEO)
    node.chmod(0o660)
    v = doctor._scanner(cfg, host)
    assert not v.ok and "usermod -aG video kiosk" in v.fix


def test_usb_printer_found_by_id_and_its_bus_node_checked(tmp_path):
    host = make_terminal(tmp_path)
    cfg = serial_cfg(driver="usb", usb_vendor_id=0x0416, usb_product_id=0x5011)
    v = doctor._printer(cfg, host)
    assert not v.ok and v.what == "小票打印机 USB 0416:5011 未连接" and "lsusb 中应有 0416:5011" in v.fix
    plug_usb(host, "0416", "5011", "POS58", bus=1, dev=7)
    node = host.root / "dev" / "bus" / "usb" / "001" / "007"
    node.parent.mkdir(parents=True)
    node.write_bytes(b"")
    os.chown(node, 0, 0)
    node.chmod(0o664)                                   # Debian's default for USB devices
    v = doctor._printer(cfg, host)
    assert not v.ok and "/dev/bus/usb/001/007" in v.what and "usermod -aG lp kiosk" in v.fix


def test_network_printer_is_not_contacted_under_a_root(tmp_path):
    host = make_terminal(tmp_path)
    v = doctor._printer(serial_cfg(driver="network", host="192.0.2.10"), host)
    assert v.skipped and v.ok


# ---- the whole report ---------------------------------------------------------------------------

def test_report_lists_fails_with_fixes_and_exit_code(tmp_path, pty_device):
    host = make_terminal(tmp_path)
    state = host.root / "var" / "lib" / "bianmin-kiosk"
    state.mkdir(parents=True)
    os.chown(state, KIOSK_UID, KIOSK_GID)
    state.chmod(0o700)
    cfg = serial_cfg()
    cfg = dataclasses.replace(cfg, storage=dataclasses.replace(cfg.storage, data_dir="/var/lib/bianmin-kiosk"))
    lines = []
    assert run_doctor(cfg, out=lines.append, host=host) == 1
    text = "\n".join(lines)
    assert "[ OK ] 数据目录 /var/lib/bianmin-kiosk" in text
    assert "[ OK ] udev 规则 /etc/udev/rules.d/99-bianmin-kiosk.rules" in text
    assert "[FAIL] 身份证读卡器 /dev/bianmin-idcard 不存在\n       → 检查 USB 线" in text
    assert text.rstrip().endswith("(checked as user kiosk)") and "1 failed" in text

    (host.root / "dev" / "bianmin-idcard").symlink_to(pty_device)     # the reader is plugged in
    lines.clear()
    assert run_doctor(cfg, out=lines.append, host=host) == 0, "\n".join(lines)
    assert "0 failed" in lines[-1]


def test_state_dir_owned_by_root_is_a_fail_with_chown(tmp_path):
    host = make_terminal(tmp_path)
    state = host.root / "var" / "lib" / "bianmin-kiosk"
    state.mkdir(parents=True)
    state.chmod(0o700)                                  # root's, as a hand-made mkdir leaves it
    cfg = dataclasses.replace(KioskConfig(), storage=dataclasses.replace(KioskConfig().storage,
                                                                         data_dir="/var/lib/bianmin-kiosk"))
    v = doctor._data_dir(cfg, host)
    assert not v.ok and "chown -R kiosk:kiosk /var/lib/bianmin-kiosk" in v.fix


def test_example_config_names_the_udev_device():
    cfg = load_config(ROOT / "config" / "kiosk.example.toml")
    assert cfg.idcard.port == "/dev/bianmin-idcard"
    assert isinstance(doctor._font(), Verdict) and doctor._font().ok
