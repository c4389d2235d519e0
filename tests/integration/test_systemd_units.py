"""systemd-analyze verify accepts our units (with /opt/bianmin pointed at this checkout, since
verify checks that ExecStart exists)."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("unit", ["kiosk.service", "hall.service"])
def test_unit_verifies(tmp_path, unit):
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze missing: install the Debian package systemd")
    text = (ROOT / "systemd" / unit).read_text()
    assert "Restart=always" in text and "User=" in text and "EnvironmentFile=" in text
    (tmp_path / unit).write_text(text.replace("/opt/bianmin", str(ROOT)))
    proc = subprocess.run(["systemd-analyze", "verify", str(tmp_path / unit)], capture_output=True, text=True)
    complaints = [l for l in (proc.stdout + proc.stderr).splitlines() if unit in l or "Unknown" in l]
    assert proc.returncode == 0 and not complaints, proc.stdout + proc.stderr
