"""Building the receipt printer at start must not import the renderer's stack (python-escpos's
printer classes, qrcode, python-barcode, PIL, pyusb): the idle kiosk held them for nothing
(issue #15). They come with the first slip. Run in a fresh interpreter: this test process has
imported them already."""
import json
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("escpos.printer", "qrcode", "barcode", "PIL", "usb", "drivers.printer.escpos_render")

PROBE = """
import json, sys
from drivers.printer.profiles import printer_for
from kiosk.config import PrinterConfig
from kiosk.domain.receipt import ReceiptDoc, Text
heavy = %r
printer = printer_for(PrinterConfig(driver="network", host="127.0.0.1", port=PORT, timeout_s=0.5))
printer.status()                                   # the health poller probes at start
at_start = [m for m in heavy if m in sys.modules]
result = printer.print(ReceiptDoc(job_id="j1", title="t", blocks=(Text("你好"),)))
print(json.dumps({"at_start": at_start, "after_print": [m for m in heavy if m in sys.modules],
                  "message": result.message}))
"""


def test_printer_is_built_and_probed_without_the_render_stack(tmp_path):
    with socket_port() as port:
        out = subprocess.run([sys.executable, "-c", (PROBE % (HEAVY,)).replace("PORT", str(port))],
                             cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin", "ESCPOS_CAPABILITIES_PICKLE_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["at_start"] == []
    # printing renders (nobody listens on the port, so it fails to send: the render came first)
    assert "drivers.printer.escpos_render" in seen["after_print"] and "qrcode" in seen["after_print"]


class socket_port:
    """A local TCP port that refuses connections: bound, never listening, released at exit."""

    def __enter__(self) -> int:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return self.sock.getsockname()[1]

    def __exit__(self, *exc) -> None:
        self.sock.close()
