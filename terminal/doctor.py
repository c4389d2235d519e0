"""`kiosk doctor`: a technician's check of one terminal, each line a verdict and the exact fix.

Checks what it can without a customer: config, font, state directory, udev rules, the ID card
reader, the scanner, the printer and the hall. A device line names the device, its state and
what to do, e.g. "身份证读卡器 /dev/bianmin-idcard 不存在 → 检查 USB 线…; lsusb 中应有 1a86:7523…".

Permissions are judged for the account the kiosk runs as (`kiosk` when the doctor runs as root,
as it does at the end of scripts/install.sh): root can open anything, so trying as root proves
nothing. `root` lets the doctor look at a terminal laid down under a directory (install.sh
--root, the tests): every absolute path it checks, /sys included, is taken below it.
"""
from __future__ import annotations

import errno
import grp
import os
import pwd
import stat
from dataclasses import dataclass
from pathlib import Path

from kiosk import udev_rules
from kiosk.config import KioskConfig
from kiosk.ports import DeviceState

FONT = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "wqy-microhei.ttc"
RULES_SOURCE = "systemd/99-bianmin-kiosk.rules"
DEPLOY_DOC = "docs/deploy.md"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    what: str
    fix: str = ""
    skipped: bool = False               # not checked (shown as [SKIP], counted as neither)


@dataclass(frozen=True)
class Host:
    """Where to look: the root directory and the account whose access counts."""
    root: Path = Path("/")
    user: str = ""

    def path(self, p: str | Path) -> Path:
        p = Path(p)
        return self.root / p.relative_to("/") if p.is_absolute() else p

    @property
    def rules(self) -> Path:
        return self.path(udev_rules.INSTALLED)

    def account(self) -> str:
        if self.user:
            return self.user
        if self.root != Path("/"):
            return "kiosk"
        if os.geteuid() == 0:
            try:
                pwd.getpwnam("kiosk")
                return "kiosk"
            except KeyError:
                return "root"
        return pwd.getpwuid(os.geteuid()).pw_name


def run_doctor(cfg: KioskConfig, out=print, host: Host | None = None) -> int:
    host = host or Host()
    verdicts = [_font(), _data_dir(cfg, host)]
    if cfg.idcard.driver != "sim" or cfg.scanner.driver == "serial":
        verdicts.append(_rules(host))
    verdicts += [_reader(cfg, host), _scanner(cfg, host), _printer(cfg, host), _hall(cfg, host)]
    for v in verdicts:
        tag = "[SKIP]" if v.skipped else "[ OK ]" if v.ok else "[FAIL]"
        out(f"{tag} {v.what}" + ("" if v.ok else f"\n       → {v.fix}"))
    failed = sum(1 for v in verdicts if not v.ok)
    passed = sum(1 for v in verdicts if v.ok and not v.skipped)
    out(f"\n{passed} passed, {failed} failed  (checked as user {host.account()})")
    return 1 if failed else 0


def _font() -> Verdict:
    return Verdict(FONT.is_file(), f"CJK font {FONT.name}", "reinstall the kiosk: assets/fonts is part of it")


def _data_dir(cfg, host: Host) -> Verdict:
    shown = Path(cfg.storage.data_dir)
    d = host.path(shown)
    what = f"数据目录 {shown}（待上传申请 outbox 在此）"
    if not shown.is_absolute():
        d.mkdir(parents=True, exist_ok=True)        # a demo/dev checkout: the app would create it too
    if not d.is_dir():
        return Verdict(False, what + " 不存在", f"sudo install -d -o kiosk -g kiosk -m 0700 {shown}"
                                                "（或 sudo systemctl start kiosk：StateDirectory 会创建它）")
    problem = _access_problem(host, d, want_write=True)
    if problem:
        return Verdict(False, f"{what}：{problem}", f"sudo chown -R kiosk:kiosk {shown} && sudo chmod 0700 {shown}")
    return Verdict(True, what + " 可写")


def _rules(host: Host) -> Verdict:
    shown = udev_rules.INSTALLED
    if not host.rules.is_file():
        return Verdict(False, f"udev 规则 {shown} 不存在",
                       f"sudo install -m 0644 /opt/bianmin/{RULES_SOURCE} {shown} && sudo udevadm control --reload "
                       "&& sudo udevadm trigger --action=add（或重新运行 scripts/install.sh）")
    try:
        n = len(udev_rules.load_rules(host.rules).usb_ids())
    except (udev_rules.RulesError, OSError, UnicodeDecodeError) as e:
        return Verdict(False, f"udev 规则 {shown} 读不懂：{e}",
                       f"恢复原文件：sudo install -m 0644 /opt/bianmin/{RULES_SOURCE} {shown}")
    return Verdict(True, f"udev 规则 {shown}（{n} 种 USB 设备）")


def _reader(cfg, host: Host) -> Verdict:
    if cfg.idcard.driver == "sim":
        return Verdict(True, "身份证读卡器：模拟器（演示）")
    return _serial_device(host, "身份证读卡器", "idcard", cfg.idcard.port, cfg.idcard.baudrate,
                          then="试读一张身份证：sudo systemctl stop kiosk && sudo -u kiosk /opt/bianmin/.venv/bin/kiosk "
                               "--config /etc/bianmin/kiosk.toml device idcard")


def _scanner(cfg, host: Host) -> Verdict:
    driver = cfg.scanner.driver
    if driver in ("none", "images"):
        return Verdict(True, f"扫码器：{'未配置' if driver == 'none' else '图片模拟（演示）'}")
    if driver == "serial":
        return _serial_device(host, "扫码器", "scanner", cfg.scanner.port, cfg.scanner.baudrate)
    device = cfg.scanner.device
    shown = f"/dev/video{device}" if device.isdigit() else device
    return _device_node(host, "摄像头（扫码）", shown, group="video",
                        absent_fix="检查摄像头 USB 线；ls -l /dev/v4l/by-id/ 列出摄像头，把其路径写入 "
                                   "/etc/bianmin/kiosk.toml 的 scanner.device")


def _printer(cfg, host: Host) -> Verdict:
    p = cfg.printer
    if p.driver == "virtual":
        return Verdict(True, "打印机：虚拟打印机（演示）")
    if p.driver == "file":
        v = _device_node(host, "小票打印机", p.device, group="lp",
                         absent_fix="检查打印机电源和 USB 线；lsusb 中应出现打印机；ls /dev/usb/ 应有 lp0")
        if not v.ok:
            return v
    elif p.driver == "serial":
        v = _serial_device(host, "小票打印机", "printer", p.serial_port, p.baudrate)
        if not v.ok:
            return v
    elif p.driver == "usb":
        v = _usb_printer(host, p.usb_vendor_id, p.usb_product_id)
        if not v.ok:
            return v
    if host.root != Path("/"):
        return Verdict(True, f"小票打印机（{p.driver}）：在 --root 下不联系打印机", skipped=True)
    from drivers.printer.profiles import printer_for
    st = printer_for(p).status()
    ok = st.state in (DeviceState.OK, DeviceState.PAPER_NEAR_END)
    where = f"{p.host}:{p.port}" if p.driver == "network" else p.driver
    return Verdict(ok, f"小票打印机 {where}：{st.state.value} {st.detail}".rstrip(),
                   "检查电源、连线、纸卷和上盖；详见 kiosk device printer-status")


def _hall(cfg, host: Host) -> Verdict:
    if cfg.hall.url == "embedded":
        return Verdict(True, "hall: embedded (demo)")
    from kiosk.platform import HallHttpClient
    from kiosk.ports import HallRejected, HallUnavailable
    from kiosk.tls import HallTls
    # The same trust as the app (terminal/app.py): the hall's CA file and/or pins from kiosk.toml.
    ca_file = str(host.path(cfg.hall.ca_file)) if cfg.hall.ca_file else ""
    client = HallHttpClient(cfg.hall.url, cfg.hall.token, cfg.terminal.id, host.path(cfg.storage.data_dir),
                            cfg.hall.connect_timeout_s, cfg.hall.read_timeout_s,
                            tls=HallTls.from_config(ca_file, cfg.hall.pin_sha256))
    try:
        n = len(client.catalog().matters)
        return Verdict(True, f"大厅 {cfg.hall.url}：事项目录 {n} 项")
    except HallRejected as e:
        return Verdict(False, f"大厅 {cfg.hall.url} 拒绝本终端（{e.status}）",
                       "核对 /etc/bianmin/kiosk.toml 的 terminal.id 与 hall.token（hall terminal add 打印的令牌）")
    except HallUnavailable as e:
        return Verdict(False, f"大厅 {cfg.hall.url} 连不上（{e}）", "检查网线/网络和 hall.url；curl -v 该地址试试")


# ---- devices ------------------------------------------------------------------------------------

def _serial_device(host: Host, label: str, kind: str, port: str, baudrate: int, then: str = "") -> Verdict:
    dev = host.path(port)
    if not dev.exists():
        return Verdict(False, f"{label} {port} 不存在", _absent_fix(host, label, kind, port))
    real = dev.resolve()
    # udev's link is relative (bianmin-idcard -> ttyUSB0): that name is the one sysfs knows.
    kernel_name = Path(os.readlink(dev)).name if dev.is_symlink() else dev.name
    shown = port + (f" → {kernel_name}" if kernel_name != dev.name else "")
    usb = _usb_id_of_tty(host, kernel_name)
    if usb:
        shown += f"（USB {usb}）"
    problem = _access_problem(host, real, want_write=True)
    if problem:
        return Verdict(False, f"{label} {shown}：{problem}", _permission_fix(host.account(), "dialout"))
    holders = _holders(real) if host.root == Path("/") else []
    if holders:
        # Opening it now would toggle DTR under the running kiosk's feet: its being open is enough.
        return Verdict(True, f"{label} {shown} 正由进程 {', '.join(holders)} 使用（kiosk 在运行）")
    err = _try_open_serial(dev, baudrate)
    if err is not None:
        return Verdict(False, f"{label} {shown} 打不开：{os.strerror(err)}", _open_fix(err, port))
    return Verdict(True, f"{label} {shown} 可以打开" + (f"；{then}" if then else ""))


def _absent_fix(host: Host, label: str, kind: str, port: str) -> str:
    shown_rules = udev_rules.INSTALLED
    try:
        rules = udev_rules.load_rules(host.rules)
    except (OSError, udev_rules.RulesError, UnicodeDecodeError):
        return (f"udev 规则 {shown_rules} 缺失或损坏：重新运行 sudo scripts/install.sh，"
                f"或 sudo install -m 0644 /opt/bianmin/{RULES_SOURCE} {shown_rules}")
    plugged = _usb_devices(host)
    expected = rules.for_kind(kind)
    if kind == "idcard":
        native = [(vp, name) for vp, name in plugged if any(u.matches(*vp.split(":")) for u in rules.for_kind("idcard-usb"))]
        if native:
            vp, name = native[0]
            return (f"插着的读卡器 {vp}（{name or 'USB'}）是 USB 直连型号，没有串口；本终端按 GA 467 串口协议读卡："
                    "换用串口 / USB 转串口型号的读卡器，或按厂家说明把读卡器切换到串口模式")
    seen = [(vp, name) for vp, name in plugged if any(u.matches(*vp.split(":")) for u in expected)]
    if seen and port.startswith("/dev/bianmin-"):
        vp, name = seen[0]
        return (f"USB 上有 {vp}（{name or '串口'}），但 {port} 没有出现：规则未生效 → sudo udevadm control --reload "
                "&& sudo udevadm trigger --action=add --subsystem-match=tty，仍没有就拔插一次")
    ids = "、".join(u.shows_as() for u in expected) or "（规则里没有这类设备）"
    if not port.startswith("/dev/bianmin-"):
        return (f"检查 USB 线和电源；{port} 是配置里写的设备名，建议改用 udev 固定名称 /dev/bianmin-{kind}"
                f"（/etc/bianmin/kiosk.toml）")
    return (f"检查 USB 线和{label}电源；lsusb 中应有 {ids} 之一；"
            f"若是其他型号，按 {DEPLOY_DOC}「添加设备」把 lsusb 显示的 ID 加入规则 {shown_rules}")


def _device_node(host: Host, label: str, path: str, group: str, absent_fix: str) -> Verdict:
    dev = host.path(path)
    if not dev.exists():
        return Verdict(False, f"{label} {path} 不存在", absent_fix)
    real = dev.resolve()
    problem = _access_problem(host, real, want_write=True)
    if problem:
        return Verdict(False, f"{label} {path}：{problem}", _permission_fix(host.account(), group))
    try:
        os.close(os.open(real, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY))
    except OSError as e:
        return Verdict(False, f"{label} {path} 打不开：{e.strerror}", _open_fix(e.errno, path))
    return Verdict(True, f"{label} {path} 可以打开")


def _usb_printer(host: Host, vendor: int, product: int) -> Verdict:
    want = f"{vendor:04x}:{product:04x}"
    for base in sorted(host.path("/sys/bus/usb/devices").glob("*")):
        if _usb_pair(base) == want:
            bus, num = _read(base / "busnum"), _read(base / "devnum")
            node = f"/dev/bus/usb/{int(bus):03d}/{int(num):03d}" if bus.isdigit() and num.isdigit() else ""
            if not node:
                break
            return _device_node(host, f"小票打印机 USB {want}", node, group="lp", absent_fix="拔插打印机的 USB 线")
    return Verdict(False, f"小票打印机 USB {want} 未连接",
                   f"检查打印机电源和 USB 线；lsusb 中应有 {want}（不对就按 lsusb 改 printer.usb_vendor_id / "
                   "usb_product_id）")


def _holders(real: Path) -> list[str]:
    """PIDs (with names) of the processes that have `real` open, from /proc/*/fd."""
    found = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) == str(real) for fd in fd_dir.iterdir()):
                pid = fd_dir.parent.name
                found.append(f"{pid} {_read(fd_dir.parent / 'comm')}".strip())
        except OSError:          # gone meanwhile, or not ours to look at
            continue
    return found


def _usb_devices(host: Host) -> list[tuple[str, str]]:
    """("vvvv:pppp", product name) of every USB device plugged in, as `lsusb` would list them."""
    found = []
    for base in sorted(host.path("/sys/bus/usb/devices").glob("*")):
        pair = _usb_pair(base)
        if pair:
            found.append((pair, _read(base / "product")))
    return found


def _usb_id_of_tty(host: Host, name: str) -> str:
    """vvvv:pppp of the USB device a tty (ttyUSB0, ttyACM0) belongs to, from sysfs; "" if none."""
    node = host.path(f"/sys/class/tty/{name}/device")
    try:
        node = node.resolve(strict=True)
    except OSError:
        return ""
    for parent in (node, *node.parents):
        pair = _usb_pair(parent)
        if pair:
            return pair
        if parent == host.root:
            break
    return ""


def _usb_pair(d: Path) -> str:
    vendor, product = _read(d / "idVendor"), _read(d / "idProduct")
    return f"{vendor}:{product}".lower() if vendor and product else ""


def _read(p: Path) -> str:
    try:
        return p.read_text().strip()
    except OSError:
        return ""


def _access_problem(host: Host, path: Path, want_write: bool) -> str:
    """Why the kiosk's account may not read (and write) `path`, from owner, group and mode; "" if it may."""
    accounts = Accounts(host)
    user = host.account()
    uid, groups = accounts.user(user)
    if uid is None:
        return f"用户 {user} 不存在（sudo scripts/install.sh 会创建它）"
    if uid == 0:
        return ""
    st = path.stat()
    need = stat.S_IRUSR | (stat.S_IWUSR if want_write else 0)
    if st.st_uid == uid:
        bits = st.st_mode & 0o700
    elif st.st_gid in groups:
        bits = (st.st_mode & 0o070) << 3
    else:
        bits = (st.st_mode & 0o007) << 6
    if bits & need == need:
        return ""
    return (f"用户 {user} 没有读写权限（属主 {accounts.user_name(st.st_uid)}，属组 {accounts.group_name(st.st_gid)}，"
            f"权限 {stat.filemode(st.st_mode)}；{user} 的组：{', '.join(sorted(accounts.group_name(g) for g in groups))}）")


class Accounts:
    """Users and groups of the system being checked: this one, or the one laid down under --root."""

    def __init__(self, host: Host):
        self._root = host.root if host.root != Path("/") else None
        self._passwd = self._table(host.path("/etc/passwd")) if self._root else []
        self._group = self._table(host.path("/etc/group")) if self._root else []

    @staticmethod
    def _table(path: Path) -> list[list[str]]:
        try:
            return [line.split(":") for line in path.read_text().splitlines() if line and not line.startswith("#")]
        except OSError:
            return []

    def user(self, name: str) -> tuple[int | None, set[int]]:
        if not self._root:
            try:
                pw = pwd.getpwnam(name)
            except KeyError:
                return None, set()
            return pw.pw_uid, set(os.getgrouplist(name, pw.pw_gid))
        row = next((r for r in self._passwd if r[0] == name and len(r) >= 4), None)
        if row is None:
            return None, set()
        groups = {int(row[3])} | {int(g[2]) for g in self._group
                                  if len(g) >= 4 and name in g[3].split(",")}
        return int(row[2]), groups

    def user_name(self, uid: int) -> str:
        if not self._root:
            return _user_name(uid)
        return next((r[0] for r in self._passwd if len(r) >= 3 and r[2] == str(uid)), str(uid))

    def group_name(self, gid: int) -> str:
        if not self._root:
            return _group_name(gid)
        return next((g[0] for g in self._group if len(g) >= 3 and g[2] == str(gid)), str(gid))


def _permission_fix(user: str, group: str) -> str:
    return (f"sudo usermod -aG {group} {user} && sudo systemctl restart kiosk；若设备的属组不是 {group}，"
            f"说明 udev 规则没有作用于它：sudo udevadm trigger --action=add 后再看 ls -l")


def _open_fix(err: int, port: str) -> str:
    if err == errno.EBUSY:
        return (f"{port} 被其他程序占用：多半是 ModemManager → sudo systemctl disable --now ModemManager；"
                f"或 sudo fuser -v {port} 查看是谁")
    if err in (errno.EACCES, errno.EPERM):
        return "权限不够：sudo usermod -aG dialout kiosk；服务里 DeviceAllow= 是否被 systemctl edit 改过"
    if err in (errno.ENXIO, errno.ENODEV, errno.EIO):
        return "设备节点在但设备没有响应：拔插 USB 线，换一个 USB 口，看 sudo dmesg | tail"
    return "拔插 USB 线后再运行 kiosk doctor；看 sudo dmesg | tail"


def _try_open_serial(dev: Path, baudrate: int) -> int | None:
    import serial
    try:
        serial.Serial(str(dev), baudrate, timeout=0.5).close()
        return None
    except serial.SerialException as e:
        return e.errno or errno.EIO
    except OSError as e:
        return e.errno or errno.EIO


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def main(argv=None) -> int:
    """`python -m terminal.doctor --config FILE [--root DIR] [--user NAME]` (what install.sh --root runs)."""
    import argparse
    from kiosk.config import ConfigError, load_config
    p = argparse.ArgumentParser(prog="kiosk-doctor", description=__doc__.splitlines()[0])
    p.add_argument("--config", required=True)
    p.add_argument("--root", default="/", help="check a system laid down under this directory")
    p.add_argument("--user", default="", help="whose access to the devices counts (default: kiosk)")
    args = p.parse_args(argv)
    try:
        cfg = load_config(args.config)
    except ConfigError as e:
        print(f"配置错误 / configuration error: {e}")
        return 2
    return run_doctor(cfg, host=Host(Path(args.root), args.user))


if __name__ == "__main__":
    raise SystemExit(main())
