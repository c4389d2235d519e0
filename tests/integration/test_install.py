"""scripts/install.sh and scripts/uninstall.sh in a clean directory root (--root): every file laid
down (owner, mode, content), idempotence, an upgrade that keeps the outbox and the config, and an
uninstall that refuses while submissions are pending.

What differs from a real terminal, and why: the user is created with `useradd --root` in a root
whose /etc holds only a minimal passwd/group (as a fresh Debian has them: lp 7, dialout 20,
video 44); units are enabled with `systemctl --root` (symlinks, no PID 1 here); nothing is
started, no udev reload. These tests pass --no-pip (no venv: test_install_venv.py builds the real
one) and run the final doctor with this test's Python on the installed code.
"""
import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.clock import SystemClock
from kiosk.config import load_config
from kiosk.outbox import SqliteOutbox

ROOT = Path(__file__).resolve().parents[2]
INSTALL = ROOT / "scripts" / "install.sh"
UNINSTALL = ROOT / "scripts" / "uninstall.sh"
TOKEN = "Zm9vYmFyLWJhei0xMjM0NTY3ODkwLWFiY2RlZg"
STATE = "var/lib/bianmin-kiosk"
PARTS = ("kiosk", "terminal", "drivers", "screens", "hall", "assets", "config", "docs", "systemd", "scripts", "deploy",
         "pyproject.toml", "constraints.txt", "README.md", "LICENSE")


def fresh_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (root / "etc" / "group").write_text("root:x:0:\nlp:x:7:\ndialout:x:20:\nvideo:x:44:\n")
    (root / "etc" / "shadow").write_text("root:*:19000:0:99999:7:::\n")
    (root / "etc" / "gshadow").write_text("root:*::\nlp:*::\ndialout:*::\nvideo:*::\n")
    for f in ("shadow", "gshadow"):
        (root / "etc" / f).chmod(0o640)
    return root


def token_file(tmp_path: Path, terminal="T-320102-0007") -> Path:
    """What the technician saved from `hall terminal add` (the hall prints the token last)."""
    f = tmp_path / f"{terminal}.token"
    f.write_text(f"terminal {terminal} enrolled: 1号机 (一楼大厅)\n"
                 "its token follows; it is shown only this once (the hall keeps only a hash).\n"
                 f"{TOKEN}\n")
    return f


def install(root: Path, *args, script: Path = INSTALL, check=True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["bash", str(script), "--root", str(root), "--no-pip",
                           "--doctor-python", sys.executable, *map(str, args)],
                          capture_output=True, text=True, timeout=120)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def uninstall(root: Path, *args, script: Path = UNINSTALL) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script), "--root", str(root), *map(str, args)],
                          capture_output=True, text=True, timeout=60)


def first_install(tmp_path: Path) -> Path:
    root = fresh_root(tmp_path)
    install(root, "--hall", "https://hall.example.gov.cn:8443", "--token-file", token_file(tmp_path))
    return root


def ids(root: Path, name: str) -> tuple[int, int]:
    for line in (root / "etc" / "passwd").read_text().splitlines():
        f = line.split(":")
        if f[0] == name:
            return int(f[2]), int(f[3])
    raise AssertionError(f"{name} not in {root}/etc/passwd")


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root: type, owner, group, mode and content hash (not times)."""
    out = {}
    for p in sorted(root.rglob("*")):
        st = p.lstat()
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = ("link", os.readlink(p))
        elif p.is_dir():
            out[rel] = ("dir", st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
        else:
            out[rel] = ("file", st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), hashlib.sha256(p.read_bytes()).hexdigest())
    return out


def shipped_files() -> set[str]:
    """The release's files as install.sh selects them: git's list for PARTS, minus what is gone."""
    listed = subprocess.run(["git", "ls-files", "--", *[p for p in PARTS if (ROOT / p).exists()]],
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout.split("\n")
    return {f for f in listed if f and (ROOT / f).is_file()}


def session_files(release: Path) -> dict[str, Path]:
    """Where install.sh puts the session's files of a release: destination (relative) -> source."""
    out = {}
    for pattern in ("*.service", "*.target", "*.path", "*.socket"):
        for f in (release / "systemd").glob(pattern):
            if f.name not in ("kiosk.service", "hall.service"):
                out[f"etc/systemd/system/{f.name}"] = f
    for d in (release / "systemd").glob("*.d"):
        for f in d.iterdir():
            out[f"etc/systemd/system/{d.name}/{f.name}"] = f
    rootfs = release / "deploy" / "rootfs"
    if rootfs.is_dir():
        for f in rootfs.rglob("*"):
            if f.is_file():
                out[str(f.relative_to(rootfs))] = f
    return out


def queue(root: Path, n: int) -> None:
    """n submissions pending in the terminal's outbox, written by the real outbox code."""
    path = root / STATE / "outbox.sqlite3"
    box = SqliteOutbox(path, SystemClock())
    for i in range(n):
        box.enqueue(f"key-{i}", "application", {"matter": "TEST-001", "fields": {"phone": "13800000000"}})
    box.close()
    uid, gid = ids(root, "kiosk")
    for f in (root / STATE).iterdir():
        os.chown(f, uid, gid)


def pending(root: Path) -> int:
    box = SqliteOutbox(root / STATE / "outbox.sqlite3", SystemClock())
    try:
        return box.pending_count()
    finally:
        box.close()


# ---- first install: every file -----------------------------------------------------------------

def test_first_install_lays_down_every_file_with_owner_mode_and_content(tmp_path):
    root = first_install(tmp_path)
    kuid, kgid = ids(root, "kiosk")
    assert kuid < 1000 and kgid < 1000, "a system account"
    snap = snapshot(root)

    # The account: system user, no login shell, home = the state dir, in dialout/video/lp.
    passwd = {l.split(":")[0]: l.split(":") for l in (root / "etc/passwd").read_text().splitlines()}
    assert passwd["kiosk"][5:] == ["/var/lib/bianmin-kiosk", "/usr/sbin/nologin"]
    groups = {l.split(":")[0]: l.split(":")[3].split(",") for l in (root / "etc/group").read_text().splitlines()}
    for g in ("dialout", "video", "lp"):
        assert "kiosk" in groups[g], g

    expected = {
        "etc/bianmin": ("dir", 0, kgid, 0o750),
        "etc/bianmin/kiosk.toml": ("file", 0, kgid, 0o640),
        "etc/bianmin/kiosk.example.toml": ("file", 0, 0, 0o644),
        "etc/bianmin/kiosk.env": ("file", 0, kgid, 0o640),
        "etc/udev/rules.d/99-bianmin-kiosk.rules": ("file", 0, 0, 0o644),
        "etc/modules-load.d/bianmin-kiosk.conf": ("file", 0, 0, 0o644),
        "etc/systemd/system/kiosk.service": ("file", 0, 0, 0o644),
        STATE: ("dir", kuid, kgid, 0o700),
        "opt/bianmin": ("dir", 0, 0, 0o755),
    }
    for path, want in expected.items():
        assert snap[path][:4] == want, (path, snap[path])
    assert snap["etc/systemd/system/graphical.target.wants/kiosk.service"] == ("link", "/etc/systemd/system/kiosk.service")

    # Contents: copies of the release's files, byte for byte.
    same = {"etc/bianmin/kiosk.example.toml": "config/kiosk.example.toml", "etc/bianmin/kiosk.env": "systemd/kiosk.env.example",
            "etc/udev/rules.d/99-bianmin-kiosk.rules": "systemd/99-bianmin-kiosk.rules",
            "etc/systemd/system/kiosk.service": "systemd/kiosk.service"}
    for path, source in same.items():
        assert (root / path).read_bytes() == (ROOT / source).read_bytes(), path
    assert (root / "etc/modules-load.d/bianmin-kiosk.conf").read_text().split()[-3:] == ["usbserial", "cdc_acm", "videodev"]

    # kiosk.toml: the example with the three per-terminal values filled in, nothing else changed.
    cfg = load_config(root / "etc/bianmin/kiosk.toml")
    assert (cfg.terminal.id, cfg.hall.url, cfg.hall.token) == ("T-320102-0007", "https://hall.example.gov.cn:8443", TOKEN)
    example = (ROOT / "config/kiosk.example.toml").read_text().splitlines()
    written = (root / "etc/bianmin/kiosk.toml").read_text().splitlines()
    changed = [w for e, w in zip(example, written) if e != w]
    assert len(example) == len(written) and len(changed) == 3, changed

    # /opt/bianmin: exactly the shipped files, root's, not writable by others; nothing else.
    app = root / "opt/bianmin"
    installed = {str(p.relative_to(app)) for p in app.rglob("*") if p.is_file()}
    assert installed == shipped_files() | {"RELEASE"}
    for rel in installed:
        st = (app / rel).stat()
        assert (st.st_uid, st.st_gid) == (0, 0) and not st.st_mode & 0o022, rel
        if rel != "RELEASE":
            assert (app / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    assert os.access(app / "scripts/install.sh", os.X_OK) and os.access(app / "scripts/uninstall.sh", os.X_OK)
    assert not (app / "tests").exists() and not (app / ".venv").exists()

    # The kiosk session's files (whatever the release ships in systemd/ and deploy/rootfs/),
    # each a copy of its source, and the manifest naming all of them.
    session = session_files(ROOT)
    for dest, source in session.items():
        assert (root / dest).read_bytes() == source.read_bytes(), dest
        assert snap[dest][1:3] == (0, 0), dest
    # deploy/install-session.sh (the X session on tty1) appends what it lays down to the manifest.
    manifest = (root / "etc/bianmin/installed-files").read_text().split()
    mine = ["/etc/udev/rules.d/99-bianmin-kiosk.rules", "/etc/modules-load.d/bianmin-kiosk.conf",
            "/etc/systemd/system/kiosk.service", *("/" + d for d in session)]
    assert manifest[:len(mine)] == mine and len(set(manifest)) == len(manifest)
    for entry in manifest:
        assert snap[entry.lstrip("/")][0] == "file" and snap[entry.lstrip("/")][1:3] == (0, 0), entry
    if (ROOT / "deploy/install-session.sh").exists():
        assert "/etc/systemd/system/bianmin-x.service" in manifest
    assert snap["etc/bianmin/installed-files"][1:4] == (0, 0, 0o644)

    # Nothing else anywhere: only useradd's own backups, the listed files, their directories,
    # unit links (enabled: *.wants/; masked: -> /dev/null).
    listed = {e.lstrip("/") for e in manifest}
    allowed = set(session) | listed | {"etc/bianmin/installed-files"}
    allowed |= {p for p, v in snap.items() if v[0] == "link" and v[1] == "/dev/null" and p.startswith("etc/systemd/system/")}
    for dest in listed:
        parent = Path(dest).parent
        while str(parent) not in (".", ""):
            allowed.add(str(parent))
            parent = parent.parent
    allowed |= {p for p in snap if p.startswith("etc/systemd/system/") and ".wants" in p}
    others = {p for p in snap if not p.startswith("opt/bianmin/")} - set(expected) - allowed - {
        "etc", "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow", "etc/passwd-", "etc/group-", "etc/shadow-",
        "etc/gshadow-", "etc/.pwd.lock", "etc/udev", "etc/udev/rules.d", "etc/modules-load.d", "etc/systemd",
        "etc/systemd/system", "etc/systemd/system/graphical.target.wants",
        "etc/systemd/system/graphical.target.wants/kiosk.service", "opt", "var", "var/lib"}
    assert others == set(), others


def test_install_ends_with_the_doctor_naming_the_missing_reader(tmp_path):
    root = fresh_root(tmp_path)
    proc = install(root, "--hall", "https://hall.example.gov.cn", "--token-file", token_file(tmp_path))
    out = proc.stdout
    assert "== kiosk doctor" in out and out.index("== kiosk doctor") > out.index("installed:")
    assert "[ OK ] 数据目录 /var/lib/bianmin-kiosk" in out, out
    assert "[ OK ] udev 规则 /etc/udev/rules.d/99-bianmin-kiosk.rules" in out
    assert "[FAIL] 身份证读卡器 /dev/bianmin-idcard 不存在" in out and "1a86:7523" in out
    assert "kiosk doctor found problems" in out          # reported, and the install still succeeds


# ---- idempotence and upgrade --------------------------------------------------------------------

def test_running_again_changes_nothing(tmp_path):
    rel = release_copy(tmp_path, "release")                # frozen: the same release both times
    root = fresh_root(tmp_path)
    install(root, "--hall", "https://hall.example.gov.cn:8443", "--token-file", token_file(tmp_path),
            script=rel / "scripts/install.sh")
    before = snapshot(root)
    proc = install(root, script=rel / "scripts/install.sh")   # no --hall/--token-file: an upgrade run
    assert "config: /etc/bianmin/kiosk.toml kept" in proc.stdout
    after = snapshot(root)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert changed == [], changed


def release_copy(tmp_path: Path, name: str) -> Path:
    """An unpacked release tarball (no .git): the shipped files copied to a folder."""
    dest = tmp_path / name
    for rel in shipped_files():
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, dest / rel)
    return dest


def test_upgrade_keeps_pending_submissions_and_the_config(tmp_path):
    root = first_install(tmp_path)
    queue(root, 3)
    conf = root / "etc/bianmin/kiosk.toml"
    edited = conf.read_text().replace('host = "192.0.2.10"', 'host = "10.1.2.3"')   # technician's edit
    conf.write_text(edited)
    outbox_before = {p.name: p.read_bytes() for p in (root / STATE).iterdir()}
    (root / "opt/bianmin/kiosk/obsolete_module.py").write_text("# gone in the next release\n")

    new = release_copy(tmp_path, "release-2")
    (new / "kiosk" / "release2_marker.py").write_text("MARK = 2\n")
    proc = install(root, "--hall", "https://other.example", script=new / "scripts/install.sh")

    assert pending(root) == 3
    assert {p.name: p.read_bytes() for p in (root / STATE).iterdir()} == outbox_before
    assert conf.read_text() == edited
    assert "already exists and is kept" in proc.stderr      # --hall on an upgrade is not applied silently
    assert (root / "opt/bianmin/kiosk/release2_marker.py").read_text() == "MARK = 2\n"
    assert not (root / "opt/bianmin/kiosk/obsolete_module.py").exists()
    assert (root / "opt/bianmin/RELEASE").read_text().strip() == "unknown"   # a tarball has no git
    kuid, kgid = ids(root, "kiosk")
    assert all((p.stat().st_uid, p.stat().st_gid) == (kuid, kgid) for p in (root / STATE).iterdir())


# ---- bad input ----------------------------------------------------------------------------------

def test_first_install_needs_hall_and_token(tmp_path):
    root = fresh_root(tmp_path)
    proc = install(root, "--token-file", token_file(tmp_path), check=False)
    assert proc.returncode == 2 and "--hall URL is required" in proc.stderr
    proc = install(root, "--hall", "https://h.example", check=False)
    assert proc.returncode == 2 and "--token-file FILE is required" in proc.stderr
    assert not (root / "opt").exists() and not (root / "etc/bianmin").exists()


def test_token_file_with_no_token_and_bare_token_without_id(tmp_path):
    root = fresh_root(tmp_path)
    bad = tmp_path / "bad.token"
    bad.write_text("terminal T-1 enrolled: x\nput it in the kiosk's kiosk.env:\n")
    proc = install(root, "--hall", "https://h.example", "--token-file", bad, check=False)
    assert proc.returncode == 2 and "is not a token" in proc.stderr
    bare = tmp_path / "bare.token"
    bare.write_text(TOKEN + "\n")
    proc = install(root, "--hall", "https://h.example", "--token-file", bare, check=False)
    assert proc.returncode == 2 and "--terminal-id ID is required" in proc.stderr
    install(root, "--hall", "https://h.example", "--token-file", bare, "--terminal-id", "T-9")
    assert load_config(root / "etc/bianmin/kiosk.toml").terminal.id == "T-9"


# ---- uninstall ----------------------------------------------------------------------------------

def test_uninstall_refuses_while_submissions_are_pending(tmp_path):
    root = first_install(tmp_path)
    queue(root, 2)
    before = snapshot(root)
    proc = uninstall(root)
    assert proc.returncode == 3
    assert "refused: 2 submission(s)" in proc.stderr and "--keep-data" in proc.stderr
    assert snapshot(root) == before
    proc = uninstall(root, "--discard-pending", 1)          # the count must be the real one
    assert proc.returncode == 3 and snapshot(root) == before


def test_uninstall_keep_data_then_reinstall_finds_the_pending_ones(tmp_path):
    root = first_install(tmp_path)
    queue(root, 2)
    config = (root / "etc/bianmin/kiosk.toml").read_bytes()
    proc = uninstall(root, "--keep-data")
    assert proc.returncode == 0, proc.stderr
    assert not (root / "opt/bianmin").exists() and not (root / "etc/systemd/system/kiosk.service").exists()
    assert not (root / "etc/udev/rules.d/99-bianmin-kiosk.rules").exists()
    assert not (root / "etc/systemd/system/graphical.target.wants/kiosk.service").exists()
    assert pending(root) == 2 and (root / "etc/bianmin/kiosk.toml").read_bytes() == config

    install(root)                                            # no --hall needed: the config is there
    assert pending(root) == 2 and (root / "etc/bianmin/kiosk.toml").read_bytes() == config


def test_uninstall_with_nothing_pending_removes_everything(tmp_path):
    root = first_install(tmp_path)
    queue(root, 0)
    proc = uninstall(root)
    assert proc.returncode == 0, proc.stderr
    left = {p for p in snapshot(root)
            if not p.startswith("etc/") or p.startswith(("etc/bianmin", "etc/udev/rules.d/", "etc/systemd/system/k"))}
    assert left <= {"etc", "opt", "var", "var/lib"}, left
    assert "kiosk:" not in (root / "etc/passwd").read_text()
    assert "kiosk" not in (root / "etc/group").read_text()
    # Nothing of ours is left in /etc but empty directories and useradd's backups: no unit, link,
    # mask (tty1's login prompt is back), drop-in or session file.
    leftovers = {p for p, v in snapshot(root).items() if p.startswith("etc/") and v[0] != "dir"} - {
        "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow", "etc/passwd-", "etc/group-", "etc/shadow-",
        "etc/gshadow-", "etc/.pwd.lock"}
    assert leftovers == set(), leftovers


def test_uninstall_discard_pending_with_the_right_count(tmp_path):
    root = first_install(tmp_path)
    queue(root, 2)
    proc = uninstall(root, "--discard-pending", 2)
    assert proc.returncode == 0 and "discarded 2" in proc.stdout
    assert not (root / STATE).exists()


@pytest.mark.parametrize("script", [INSTALL, UNINSTALL])
def test_scripts_pass_bash_syntax_check(script):
    subprocess.run(["bash", "-n", str(script)], check=True)


# ---- the hall: URL, trust, and the doctor against a real hall -----------------------------------

def test_plain_http_to_another_machine_is_refused(tmp_path):
    root = fresh_root(tmp_path)
    proc = install(root, "--hall", "http://hall.example.gov.cn", "--token-file", token_file(tmp_path), check=False)
    assert proc.returncode == 2 and "in the clear" in proc.stderr and not (root / "opt").exists()


def test_ca_file_is_copied_and_named_in_the_config(tmp_path):
    root = fresh_root(tmp_path)
    not_pem = tmp_path / "ca.cer"
    not_pem.write_bytes(b"\x30\x82\x01\x0a")                     # DER, as Windows exports it
    proc = install(root, "--hall", "https://hall.example.gov.cn", "--token-file", token_file(tmp_path),
                   "--ca-file", not_pem, check=False)
    assert proc.returncode == 2 and "not a PEM certificate" in proc.stderr
    pem = tmp_path / "hall-ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    pin = "sha256//" + "A" * 43 + "="
    install(root, "--hall", "https://hall.example.gov.cn", "--token-file", token_file(tmp_path),
            "--ca-file", pem, "--pin-sha256", pin, "--no-doctor")
    copied = root / "etc/bianmin/hall-ca.pem"
    assert copied.read_bytes() == pem.read_bytes()
    st = copied.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o644)
    lines = (root / "etc/bianmin/kiosk.toml").read_text().splitlines()
    at = lines.index(f'token = "{TOKEN}"')
    assert lines[at + 1:at + 3] == ['ca_file = "/etc/bianmin/hall-ca.pem"', f'pin_sha256 = "{pin}"']


def test_doctor_at_the_end_reaches_a_real_hall(tmp_path, sqlite_hall):
    root = fresh_root(tmp_path)
    tok = tmp_path / "t.token"
    tok.write_text(f"terminal {sqlite_hall.terminal_id} enrolled: x (y)\n{sqlite_hall.token}\n")
    proc = install(root, "--hall", sqlite_hall.base_url, "--token-file", tok)
    assert f"[ OK ] 大厅 {sqlite_hall.base_url}：事项目录" in proc.stdout, proc.stdout

    conf = root / "etc/bianmin/kiosk.toml"
    conf.write_text(conf.read_text().replace(sqlite_hall.token, "x" * len(sqlite_hall.token)))
    again = install(root)
    assert f"[FAIL] 大厅 {sqlite_hall.base_url} 拒绝本终端（401）" in again.stdout, again.stdout
    assert "hall.token" in again.stdout


def test_the_saved_output_of_hall_terminal_add_is_the_token_file(tmp_path):
    """What the technician does on the hall (`hall terminal add … > T.token`) feeds install.sh."""
    config = tmp_path / "hall.toml"
    config.write_text(f'host = "127.0.0.1"\nport = 8700\nhall_name = "测试"\n'
                      f'database_url = "sqlite:///{tmp_path / "hall.db"}"\ncatalog_dir = "{ROOT / "config/catalog"}"\n',
                      "utf-8")
    hall = [sys.executable, "-m", "hall.cli"]
    subprocess.run([*hall, "db", "upgrade", "--config", str(config)], cwd=ROOT, check=True, capture_output=True)
    saved = tmp_path / "T-320102-0042.token"
    with saved.open("w") as out:
        subprocess.run([*hall, "terminal", "add", "--name", "二楼2号机", "--location", "二楼", "--id", "T-320102-0042",
                        "--config", str(config)], cwd=ROOT, check=True, stdout=out)
    token = saved.read_text().strip().splitlines()[-1]
    root = fresh_root(tmp_path)
    install(root, "--hall", "https://hall.example.gov.cn", "--token-file", saved, "--no-doctor")
    cfg = load_config(root / "etc/bianmin/kiosk.toml")
    assert (cfg.terminal.id, cfg.hall.token) == ("T-320102-0042", token)


# ---- the hall server ------------------------------------------------------------------------------

def test_hall_server_install(tmp_path):
    import tomllib

    from hall.config import settings_from_dict
    root = fresh_root(tmp_path)
    proc = install(root, "--hall-server")
    assert "next: edit /etc/bianmin/hall.toml" in proc.stdout
    huid, hgid = ids(root, "hall")
    assert "kiosk:" not in (root / "etc/passwd").read_text()        # a server is not a terminal
    snap = snapshot(root)
    for path, want in {"etc/bianmin": ("dir", 0, hgid, 0o750), "etc/bianmin/hall.toml": ("file", 0, hgid, 0o640),
                       "etc/bianmin/hall.env": ("file", 0, hgid, 0o640),
                       "etc/bianmin/hall.example.toml": ("file", 0, 0, 0o644),
                       "etc/bianmin/catalog": ("dir", 0, hgid, 0o750),
                       "var/lib/bianmin-hall": ("dir", huid, hgid, 0o750),
                       "etc/systemd/system/hall.service": ("file", 0, 0, 0o644)}.items():
        assert snap[path][:4] == want, (path, snap[path])
    assert snap["etc/systemd/system/multi-user.target.wants/hall.service"] == ("link", "/etc/systemd/system/hall.service")
    assert not (root / "etc/udev").exists() and not (root / "etc/systemd/system/kiosk.service").exists()
    assert (root / "etc/systemd/system/hall.service").read_bytes() == (ROOT / "systemd/hall.service").read_bytes()

    # Every path in hall.toml absolute; the hall's own loader accepts it (paths moved into the root).
    raw = tomllib.loads((root / "etc/bianmin/hall.toml").read_text())
    assert raw["database_url"] == "sqlite:////var/lib/bianmin-hall/hall.db"
    assert (raw["catalog_dir"], raw["holidays_dir"]) == ("/etc/bianmin/catalog", "/opt/bianmin/config/holidays")
    assert raw["metrics_token_file"].startswith("/var/lib/bianmin-hall/")     # writable under ProtectSystem=strict
    moved = {k: (str(root) + v if isinstance(v, str) and v.startswith("/") else v) for k, v in raw.items()}
    settings_from_dict(moved, root / "etc/bianmin/hall.toml")
    check = subprocess.run([sys.executable, "-m", "hall.catalog_check", str(root / "etc/bianmin/catalog")],
                           cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr

    (root / "etc/bianmin/catalog/local.toml").write_text("# the hall's own matter\n")
    before = snapshot(root)
    install(root, "--hall-server")                                       # an upgrade
    assert snapshot(root) == before


# ---- the kiosk session's files --------------------------------------------------------------------

def test_session_units_dropins_and_rootfs_files_are_installed_enabled_and_removed(tmp_path):
    """A release whose session ships a unit, a getty drop-in and a file for /etc: laid down,
    enabled, dropped by the next release that no longer has it, and removed by uninstall."""
    rel = release_copy(tmp_path, "release-session")
    (rel / "systemd" / "kiosk-test-session.service").write_text(
        "[Unit]\nDescription=test session\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=graphical.target\n")
    (rel / "systemd" / "getty@tty1.service.d").mkdir()
    (rel / "systemd" / "getty@tty1.service.d" / "zz-test-autologin.conf").write_text("[Service]\nExecStart=\n")
    (rel / "deploy" / "rootfs" / "etc" / "X11" / "xorg.conf.d").mkdir(parents=True)
    (rel / "deploy" / "rootfs" / "etc" / "X11" / "xorg.conf.d" / "10-test.conf").write_text("# test\n")
    root = fresh_root(tmp_path)
    install(root, "--hall", "https://hall.example.gov.cn", "--token-file", token_file(tmp_path),
            script=rel / "scripts/install.sh")
    units = root / "etc/systemd/system"
    assert (units / "kiosk-test-session.service").is_file()
    assert os.readlink(units / "graphical.target.wants/kiosk-test-session.service") == \
        "/etc/systemd/system/kiosk-test-session.service"
    assert (units / "getty@tty1.service.d/zz-test-autologin.conf").read_text() == "[Service]\nExecStart=\n"
    assert (root / "etc/X11/xorg.conf.d/10-test.conf").read_text() == "# test\n"
    assert "/etc/X11/xorg.conf.d/10-test.conf" in (root / "etc/bianmin/installed-files").read_text()

    (rel / "deploy" / "rootfs" / "etc" / "X11" / "xorg.conf.d" / "10-test.conf").unlink()   # the next release
    proc = install(root, script=rel / "scripts/install.sh")
    assert "removed /etc/X11/xorg.conf.d/10-test.conf (not in this release)" in proc.stdout
    assert not (root / "etc/X11/xorg.conf.d/10-test.conf").exists()

    assert uninstall(root, script=rel / "scripts/uninstall.sh").returncode == 0
    assert not (units / "kiosk-test-session.service").exists()
    assert not (units / "graphical.target.wants/kiosk-test-session.service").exists()
    assert not (units / "getty@tty1.service.d").exists()
