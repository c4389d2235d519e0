"""install.sh's real venv: built from constraints.txt with pip (from this machine's package
index / cache, ~30 s), the project installed editable so assets/ is found beside the code, and the
final doctor run by the venv's own Python. Running it again does not touch the venv (a stamp of
pyproject.toml + constraints.txt + the Python version), which is what makes an upgrade without new
dependencies quick and possible without a network.
"""
import subprocess
from pathlib import Path

from tests.integration.test_install import INSTALL, fresh_root, token_file


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=900, **kw)


def test_real_venv_build_and_rerun(tmp_path):
    root = fresh_root(tmp_path)
    proc = run(["bash", str(INSTALL), "--root", str(root), "--hall", "https://hall.example.gov.cn",
                "--token-file", str(token_file(tmp_path))])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    venv = root / "opt/bianmin/.venv"
    assert "venv: pip install -c constraints.txt" in proc.stdout
    assert "[ OK ] CJK font" in proc.stdout                  # the doctor ran from the venv

    # The installed program, not this checkout: run from / so the source tree is not on sys.path.
    probe = run([str(venv / "bin/python"), "-c",
                 "import terminal.doctor, hall, kivy, serial, cv2, escpos, zxingcpp\n"
                 "from kiosk.version import app_version\n"
                 "print(terminal.doctor.__file__, terminal.doctor.FONT.is_file(), app_version())"], cwd="/")
    assert probe.returncode == 0, probe.stderr[-2000:]
    where, font, version = probe.stdout.split()
    assert Path(where) == root / "opt/bianmin/terminal/doctor.py" and font == "True"
    assert version != "unknown"
    cli = run([str(venv / "bin/kiosk"), "--config", str(root / "etc/bianmin/kiosk.toml"), "doctor",
               "--root", str(root)], cwd="/")
    assert "[ OK ] 数据目录 /var/lib/bianmin-kiosk" in cli.stdout, cli.stdout + cli.stderr
    # Byte-compiled at install: /opt is read-only to the service (ProtectSystem=strict).
    assert list((root / "opt/bianmin/terminal/__pycache__").glob("doctor.*.pyc"))

    stamp = (venv / ".install-stamp").read_text()
    again = run(["bash", str(INSTALL), "--root", str(root)])
    assert again.returncode == 0, again.stderr[-3000:]
    assert "venv: up to date" in again.stdout and "pip install" not in again.stdout
    assert (venv / ".install-stamp").read_text() == stamp
    assert list((root / "opt/bianmin/terminal/__pycache__").glob("doctor.*.pyc")), "the new tree is compiled too"
