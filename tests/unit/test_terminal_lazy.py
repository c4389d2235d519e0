"""terminal/app.py: what the kiosk process does not load until it is used (issue #15 memory)."""
import subprocess
import sys
from pathlib import Path

from terminal.app import OnFirstReport

ROOT = Path(__file__).resolve().parents[2]


def test_the_a4_printer_is_built_on_the_first_report_and_only_once():
    built, printed = [], []

    class Printer:
        def print_report(self, report):
            printed.append(report)
            return f"sent {report}"

    def build():
        built.append(1)
        return Printer()
    lazy = OnFirstReport(build)
    assert built == []
    assert lazy.print_report("r1") == "sent r1" and lazy.print_report("r2") == "sent r2"
    assert built == [1] and printed == ["r1", "r2"]


BUILD = """
import sys
from pathlib import Path
from kiosk.config import load_config
from terminal.app import build_runtime
d = Path(sys.argv[1])
(d / "k.toml").write_text(f'[terminal]\\nid = "T-1"\\n[hall]\\nurl = "http://127.0.0.1:9"\\ntoken = "t"\\n'
                          f'[idcard]\\ndriver = "serial"\\nport = "/dev/null"\\n'
                          f'[printer]\\ndriver = "network"\\nhost = "127.0.0.1"\\nport = 9\\n'
                          f'[scanner]\\ndriver = "none"\\n[storage]\\ndata_dir = "{d}"\\n')
runtime = build_runtime(load_config(d / "k.toml"), d)
import screens.matters  # the matter list and its pinyin search
print([m for m in ("reportlab", "pypinyin") if m in sys.modules])
runtime.outbox.close()
"""


def test_a_built_runtime_has_not_imported_reportlab_or_pypinyin(tmp_path):
    out = subprocess.run([sys.executable, "-c", BUILD, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
