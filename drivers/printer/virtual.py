"""A virtual ESC/POS printer: interprets the bytes a receipt printer receives and draws the slip.

It models a generic 203-dpi thermal printer with font A (12x24 dots; a double-byte GBK
character takes a 24x24 cell), 576 dots across for 80 mm paper and 384 for 58 mm. Like a real
printer it starts outside Chinese mode (bytes >= 0x80 are code page PC437 until `FS &`), wraps a
line that is too long by itself (counted in `PrintedJob.overflow_lines`, so tests can insist
that the renderer never relies on it), and skips commands it does not know.

`VirtualPrinterServer` puts it behind TCP, like a network printer on port 9100, and
`VirtualSerialPrinter` behind a pseudo-terminal, like a serial printer: tests, the demo and
`kiosk device print` talk to it over a real socket or tty, with real DLE EOT status replies.
Paper and cover are settable at any time, and paper can run out in the middle of a slip.
"""
from __future__ import annotations

import logging
import os
import select
import socket
import socketserver
import threading
import time
import tty
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable

import qrcode
from barcode import Code128
from PIL import Image, ImageDraw, ImageOps

from drivers.printer.escpos_render import barcode_image
from drivers.printer.glyphs import EMPTY_LINE, Cell, line_height, paste_line, x_for
from drivers.printer.layout import DOTS_PER_COLUMN

log = logging.getLogger(__name__)

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
_QR_EC = {48: qrcode.constants.ERROR_CORRECT_L, 49: qrcode.constants.ERROR_CORRECT_M,
          50: qrcode.constants.ERROR_CORRECT_Q, 51: qrcode.constants.ERROR_CORRECT_H}
# Commands we do not act on but must step over: number of parameter bytes after the command.
_ESC_SKIP = {ord(c): n for c, n in {"t": 1, "-": 1, "G": 1, "M": 1, "2": 0, "3": 1, "V": 1,
                                     "{": 1, " ": 1, "R": 1, "J": 1, "p": 3, "c": 2, "=": 1,
                                     "U": 1, "r": 1, "%": 1, "$": 2, "\\": 2}.items()}
_GS_SKIP = {ord(c): n for c, n in {"B": 1, "H": 1, "f": 1, "L": 2, "W": 2,
                                    "a": 1, "r": 1, "I": 1, "b": 1, "P": 2, "x": 1}.items()}
_FS_SKIP = {ord(c): n for c, n in {"!": 1, "-": 1, "S": 2, "W": 1, "C": 1, "p": 2}.items()}


@dataclass
class PrintedJob:
    """What one cut of paper carries. `image` is drawn on first use (it takes a few ms)."""
    number: int
    columns: int
    text_lines: list[str]
    qr_codes: list[str]
    raw: bytes
    overflow_lines: int = 0          # lines the printer had to wrap itself (should be 0)
    cut: bool = True                 # False: data left without a cut (render_png)
    barcodes: list[str] = field(default_factory=list)
    incomplete: bool = False         # paper ran out in the middle of this slip
    _items: list = field(default_factory=list, repr=False)

    @property
    def width_px(self) -> int:
        return self.columns * DOTS_PER_COLUMN

    @cached_property
    def image(self) -> Image.Image:
        return _draw(self._items, self.width_px)


class EscposInterpreter:
    """Feeds on raw bytes in any chunking; one PrintedJob per cut lands in `jobs`.

    `feed()` returns the n of each DLE EOT n met, for the transport to answer. When `offline`
    is set (paper out, cover open) printable data is dropped, as a stopped printer would not
    print it; status requests are still reported: they are real-time commands.
    """

    def __init__(self, columns: int = 48):
        self.columns = columns
        self.offline = False
        self.paper_left_dots: int | None = None   # set: paper runs out after this much feed
        self.ran_out = False                      # it did, during a slip
        self.jobs: list[PrintedJob] = []
        self._buf = bytearray()
        self._job_raw = bytearray()
        self._reset_job()
        self._reset_modes()

    def _reset_modes(self) -> None:
        self.align, self.bold, self.wmul, self.hmul, self.chinese = "left", False, 1, 1, False
        self.qr_module, self.qr_ec, self.qr_data = 3, qrcode.constants.ERROR_CORRECT_L, b""
        self.bar_height, self.bar_module = 162, 3        # GS h / GS w power-on defaults

    def _reset_job(self) -> None:
        self._items: list = []
        self._text_lines: list[str] = []
        self._qr_codes: list[str] = []
        self._barcodes: list[str] = []
        self._line: list[Cell] = []
        self._overflow = 0

    # -- input ---------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[int]:
        self._buf += data
        requests: list[int] = []
        pos = 0
        while pos < len(self._buf):
            used = self._step(pos, requests)
            if used is None:         # an incomplete command: wait for more bytes
                break
            self._job_raw += self._buf[pos:pos + used]
            pos += used
        del self._buf[:pos]
        return requests

    def finish(self) -> PrintedJob | None:
        """Data left after the last cut, as a job with `cut=False` (a printer prints it too)."""
        self._print_line(force=False)
        return self._end_job(cut=False)

    def _step(self, i: int, requests: list[int]) -> int | None:
        """Interpret the command at buf[i]; return bytes used, or None if incomplete."""
        b, rest = self._buf[i], len(self._buf) - i
        if b == 0x0A:
            self._print_line(force=True)
            return 1
        if b in (ESC, GS, FS, DLE):
            if rest < 2:
                return None
            handler = {ESC: self._esc, GS: self._gs, FS: self._fs, DLE: self._dle}[b]
            return handler(i, self._buf[i + 1], rest, requests)
        if b == 0x09:                          # HT: to the next 8-column tab stop
            for _ in range(8 - self._line_cols() % 8):
                self._put(" ", 1)
            return 1
        if b < 0x20 or b == 0x7F:              # CR and other controls: nothing to print
            return 1
        return self._char(i, rest)

    def _char(self, i: int, rest: int) -> int | None:
        b = self._buf[i]
        if b < 0x80:
            self._put(chr(b), 1)
            return 1
        if not self.chinese:                   # code page 0 (PC437), a printer's default
            self._put(bytes([b]).decode("cp437"), 1)
            return 1
        if rest < 2:
            return None
        size = 4 if 0x30 <= self._buf[i + 1] <= 0x39 else 2   # GB18030 four-byte form
        if rest < size:
            return None
        try:
            ch = bytes(self._buf[i:i + size]).decode("gb18030")
        except UnicodeDecodeError:
            ch = "?"
        self._put(ch, 2)
        return size

    def _esc(self, i: int, cmd: int, rest: int, requests: list[int]) -> int | None:
        if cmd == ord("@"):
            self._line = []                    # ESC @ clears the line buffer and all modes
            self._reset_modes()
            return 2
        if cmd == ord("D"):                    # tab stops: a NUL-terminated list
            end = self._buf.find(0, i + 2)
            return None if end < 0 else end - i + 1
        if cmd not in b"aE!d*":
            return self._skip(cmd, rest, _ESC_SKIP)
        if rest < 3:
            return None
        n = self._buf[i + 2]
        if cmd == ord("a"):
            self.align = {0: "left", 1: "center", 2: "right"}.get(n % 48, "left")
        elif cmd == ord("E"):
            self.bold = bool(n & 1)
        elif cmd == ord("!"):                  # print mode: bit 3 bold, 4 double h, 5 double w
            self.bold, self.hmul, self.wmul = bool(n & 0x08), 1 + bool(n & 0x10), 1 + bool(n & 0x20)
        elif cmd == ord("d"):
            self._print_line(force=False)
            self._space(n * EMPTY_LINE)
        else:                                  # ESC * m nL nH data: bit image, skipped
            if rest < 5:
                return None
            width = self._buf[i + 3] + 256 * self._buf[i + 4]
            used = 5 + width * (3 if n in (32, 33) else 1)
            return used if rest >= used else None
        return 3

    def _gs(self, i: int, cmd: int, rest: int, requests: list[int]) -> int | None:
        if cmd == ord("!"):
            if rest < 3:
                return None
            n = self._buf[i + 2]
            self.wmul, self.hmul = min(8, (n >> 4) + 1), min(8, (n & 0x0F) + 1)
            return 3
        if cmd == ord("V"):                    # cut; function B (65/66 ...) carries a feed byte
            if rest < 3:
                return None
            used = 4 if self._buf[i + 2] in (65, 66, 97, 98, 103, 104) else 3
            if rest < used:
                return None
            self._print_line(force=False)
            self._end_job(cut=True)
            return used
        if cmd == ord("("):                    # GS ( fn pL pH ...: length-prefixed functions
            if rest < 5:
                return None
            used = 5 + self._buf[i + 3] + 256 * self._buf[i + 4]
            if rest < used:
                return None
            if self._buf[i + 2] == ord("k"):
                self._qr_function(bytes(self._buf[i + 5:i + used]))
            return used
        if cmd == ord("v"):                    # GS v 0 m xL xH yL yH data: raster image
            if rest < 8:
                return None
            xbytes = self._buf[i + 4] + 256 * self._buf[i + 5]
            height = self._buf[i + 6] + 256 * self._buf[i + 7]
            used = 8 + xbytes * height
            if rest < used:
                return None
            self._raster(self._buf[i + 3], xbytes, height, bytes(self._buf[i + 8:i + used]))
            return used
        if cmd in b"hw":                       # barcode height / module width
            if rest < 3:
                return None
            if cmd == ord("h"):
                self.bar_height = max(1, self._buf[i + 2])
            else:
                self.bar_module = max(1, min(6, self._buf[i + 2]))
            return 3
        if cmd == ord("k"):                    # 1D barcode: CODE128 drawn, others skipped
            if rest < 3:
                return None
            m = self._buf[i + 2]
            if m <= 6:                         # NUL-terminated data
                end = self._buf.find(0, i + 3)
                return None if end < 0 else end - i + 1
            if rest < 4:
                return None
            used = 4 + self._buf[i + 3]
            if rest < used:
                return None
            if m == 73:
                self._code128(bytes(self._buf[i + 4:i + used]))
            return used
        return self._skip(cmd, rest, _GS_SKIP)

    def _fs(self, i: int, cmd: int, rest: int, requests: list[int]) -> int | None:
        if cmd == ord("&"):
            self.chinese = True
            return 2
        if cmd == ord("."):
            self.chinese = False
            return 2
        return self._skip(cmd, rest, _FS_SKIP)

    def _dle(self, i: int, cmd: int, rest: int, requests: list[int]) -> int | None:
        if cmd == 0x04:                        # DLE EOT n: real-time status request
            if rest < 3:
                return None
            requests.append(self._buf[i + 2])
            return 3
        if cmd == 0x14:                        # DLE DC4 fn m t: real-time pulse etc.
            return 5 if rest >= 5 else None
        if cmd == 0x05:                        # DLE ENQ n
            return 3 if rest >= 3 else None
        return 1                               # a lone DLE: drop it, keep the next byte

    @staticmethod
    def _skip(cmd: int, rest: int, table: dict[int, int]) -> int | None:
        """Step over a known no-op command, or over an unknown one's two bytes.

        Unknown commands cannot be sized in general; two bytes is the common case, and a
        wrong guess costs a stray character, never a hang or a crash.
        """
        used = 2 + table.get(cmd, 0)
        return used if rest >= used else None

    # -- printing --------------------------------------------------------------------------
    def _line_cols(self) -> int:
        return sum(c.cols * c.wmul for c in self._line)

    def _put(self, ch: str, cols: int) -> None:
        if self.offline:
            return
        if self._line and self._line_cols() + cols * self.wmul > self.columns:
            self._overflow += 1                # the printer wraps the line itself
            self._print_line(force=True)
        self._line.append(Cell(ch, cols, self.wmul, self.hmul, self.bold))

    def _print_line(self, force: bool) -> None:
        """Print the line buffer; `force` prints an empty line too (LF does, ESC d does not)."""
        line, self._line = self._line, []
        if self.offline:
            return
        if line:
            if self._add(("text", tuple(line), self.align), line_height(line)):
                self._text_lines.append("".join(c.char for c in line).rstrip())
        elif force:
            self._space(EMPTY_LINE)

    def _space(self, dots: int) -> None:
        if not self.offline:
            self._add(("space", dots), dots)

    def _add(self, item: tuple, height: int) -> bool:
        """Put an item on the paper; False if the paper ran out before it (nothing printed)."""
        if self.paper_left_dots is not None:
            if self.paper_left_dots < height:
                self._run_out()
                return False
            self.paper_left_dots -= height
        self._items.append(item)
        return True

    def _run_out(self) -> None:
        """The roll ends mid-slip: what is printed stays (uncut), the rest of the data is lost."""
        self.ran_out = True
        self._end_job(cut=False, incomplete=True)
        self.offline = True
        self.paper_left_dots = None

    def _qr_function(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != ord("1"):   # cn 49 = QR; other 2D codes are ignored
            return
        fn, args = body[1], body[2:]
        if fn == 67 and args:
            self.qr_module = max(1, min(16, args[0]))
        elif fn == 69 and args:
            self.qr_ec = _QR_EC.get(args[0], self.qr_ec)
        elif fn == 80 and args:                    # store: m (48) then the data
            self.qr_data = bytes(args[1:])
        elif fn == 81 and self.qr_data and not self.offline:   # print the stored symbol
            self._print_line(force=False)
            code = qrcode.QRCode(error_correction=self.qr_ec, box_size=self.qr_module, border=0)
            code.add_data(self.qr_data)
            img = code.make_image().get_image().convert("L")
            if self._add(("image", img, self.align), img.height):
                self._qr_codes.append(self.qr_data.decode("utf-8", errors="replace"))

    def _code128(self, stream: bytes) -> None:
        """GS k 73: `{A`/`{B`/`{C` select code sets; set C carries a digit pair per byte."""
        if self.offline:
            return
        text, charset, j = [], "B", 0
        while j < len(stream):
            if stream[j] == ord("{") and j + 1 < len(stream) and stream[j + 1] in b"ABC":
                charset = chr(stream[j + 1])
                j += 2
                continue
            text.append(f"{stream[j]:02d}" if charset == "C" else chr(stream[j]))
            j += 1
        data = "".join(text)
        self._print_line(force=False)
        img = barcode_image(Code128(data).build()[0], self.bar_module, self.bar_height)
        if self._add(("image", img, self.align), img.height):
            self._barcodes.append(data)

    def _raster(self, mode: int, xbytes: int, height: int, data: bytes) -> None:
        if self.offline or not xbytes or not height:
            return
        self._print_line(force=False)
        img = ImageOps.invert(Image.frombytes("1", (xbytes * 8, height), data).convert("L"))
        scale_w, scale_h = 1 + (mode & 1), 1 + ((mode >> 1) & 1)   # m: bit 0 wide, bit 1 tall
        if (scale_w, scale_h) != (1, 1):
            img = img.resize((img.width * scale_w, img.height * scale_h), Image.NEAREST)
        self._add(("image", img, self.align), img.height)

    def _end_job(self, cut: bool, incomplete: bool = False) -> PrintedJob | None:
        job = None
        if self._items and not self.offline:
            job = PrintedJob(number=len(self.jobs) + 1, columns=self.columns,
                             text_lines=self._text_lines, qr_codes=self._qr_codes,
                             raw=bytes(self._job_raw), overflow_lines=self._overflow,
                             cut=cut, barcodes=self._barcodes, incomplete=incomplete,
                             _items=self._items)
            self.jobs.append(job)
        self._job_raw = bytearray()
        self._reset_job()
        return job


# -- drawing ---------------------------------------------------------------------------------
def _height(item: tuple) -> int:
    if item[0] == "text":
        return line_height(item[1])
    if item[0] == "space":
        return item[1]
    return item[1].height


def _draw(items: list, paper: int) -> Image.Image:
    heights = [_height(item) for item in items]
    page = Image.new("L", (paper, max(1, sum(heights))), 255)
    y = 0
    for item, height in zip(items, heights):
        if item[0] == "text":
            paste_line(page, item[1], item[2], y)
        elif item[0] == "image":
            img, align = item[1], item[2]
            page.paste(img.crop((0, 0, min(img.width, paper), img.height)),
                       (max(0, x_for(align, img.width, paper)), y))
        y += height
    return page


def stack_images(jobs: list[PrintedJob]) -> Image.Image:
    """Several jobs one below the other, a dashed tear line between them."""
    images = [job.image for job in jobs]
    width = max(img.width for img in images)
    page = Image.new("L", (width, sum(img.height + 12 for img in images)), 255)
    y = 0
    for img in images:
        page.paste(img, (0, y))
        y += img.height + 12
        ImageDraw.Draw(page).line([(0, y - 6), (width, y - 6)], fill=160, width=1)
    return page


def render_png(data: bytes, path: str | Path, columns: int = 48) -> list[PrintedJob]:
    """Interpret ESC/POS bytes offline and save what they print as one PNG; returns the jobs."""
    interp = EscposInterpreter(columns)
    interp.feed(data)
    interp.finish()
    if not interp.jobs:
        raise ValueError("the data prints nothing")
    stack_images(interp.jobs).save(path)
    return interp.jobs


# -- the device: paper, cover, status replies ------------------------------------------------
PAPER_STATES = ("ok", "near_end", "out")
KEEP_DRAWABLE = 50       # slips that can still be redrawn in memory when they are also saved as files
_FIXED = 0x12   # bits 1 and 4 are always 1 in every DLE EOT reply


class _VirtualDevice:
    """What a TCP and a serial virtual printer share: the interpreter, paper and cover state,
    the status replies, and saving each job as PNG + the bytes that made it.

    `paper` ("ok" | "near_end" | "out") and `cover_open` may be changed at any time (the demo's
    "pull the paper"); `run_out_after(dots)` makes the roll end in the middle of the next slip;
    `silent` drops status replies (a printer that stopped answering); `cutter_jammed` raises
    the autocutter error. Replies to DLE EOT 1-4 follow the Epson bit layout.
    """

    def __init__(self, out_dir: str | Path | None, columns: int):
        self.out_dir = Path(out_dir) if out_dir else None
        self.interpreter = EscposInterpreter(columns)
        self.received = bytearray()          # every byte ever received, status requests too
        self.cover_open = False
        self.silent = False
        self.cutter_jammed = False
        self._paper = "ok"
        self._lock = threading.Lock()
        self.on_job: Callable[[PrintedJob], None] | None = None

    @property
    def paper(self) -> str:
        return self._paper

    @paper.setter
    def paper(self, value: str) -> None:
        if value not in PAPER_STATES:
            raise ValueError(f"paper must be one of {PAPER_STATES}, not {value!r}")
        with self._lock:
            self._paper = value
            if value != "out":               # a new roll: the printer takes data again
                self.interpreter.ran_out = False

    @property
    def jobs(self) -> list[PrintedJob]:
        return self.interpreter.jobs

    def run_out_after(self, dots: int) -> None:
        with self._lock:
            self.interpreter.paper_left_dots = dots

    def status_byte(self, n: int) -> int | None:
        out, near = self.paper == "out", self.paper in ("near_end", "out")
        error = self.cutter_jammed
        if n == 1:                           # bit 3: offline
            return _FIXED | (0x08 if out or self.cover_open or error else 0)
        if n == 2:                           # bit 2: cover open, 5: stopped by paper end, 6: error
            return (_FIXED | (0x04 if self.cover_open else 0) | (0x20 if out else 0)
                    | (0x40 if error else 0))
        if n == 3:                           # bit 3: autocutter error
            return _FIXED | (0x08 if error else 0)
        if n == 4:                           # bits 2-3: near end; 5-6: paper end (an empty
            return _FIXED | (0x0C if near else 0) | (0x60 if out else 0)  # roll is near end too)
        return None                          # printers ignore other n

    def _take(self, data: bytes) -> bytes:
        """Interpret received bytes; the replies to any status requests among them."""
        with self._lock:
            self.received += data
            self.interpreter.offline = self.paper == "out" or self.cover_open or self.cutter_jammed
            before = len(self.jobs)
            requests = self.interpreter.feed(data)
            if self.interpreter.ran_out:
                self._paper = "out"
            new_jobs = self.jobs[before:]
            answers = [] if self.silent else [self.status_byte(n) for n in requests]
        for job in new_jobs:
            self._keep(job)
        return bytes(a for a in answers if a is not None)

    def _keep(self, job: PrintedJob) -> None:
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            job.image.save(self.out_dir / f"job-{job.number}.png")
            (self.out_dir / f"job-{job.number}.bin").write_bytes(job.raw)
            # A demo runs for days: drop the cached drawing (0.5 MB a slip), redrawn on demand,
            # and keep what redraws a slip (its text cells and QR pictures, ~0.2 MB) only for the
            # newest ones: the older slips are on disk (found by the 100-visit soak, make bench).
            job.__dict__.pop("image", None)
            if len(self.jobs) > KEEP_DRAWABLE:
                self.jobs[-KEEP_DRAWABLE - 1]._items = []
        if self.on_job:
            self.on_job(job)


# -- the network printer ---------------------------------------------------------------------
class _TCPServer(socketserver.TCPServer):
    allow_reuse_address = True           # tests restart servers on fixed ports quickly


class VirtualPrinterServer(_VirtualDevice):
    """A network receipt printer on 127.0.0.1, one connection at a time (as on port 9100)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, out_dir: str | Path | None = None,
                 columns: int = 48):
        super().__init__(out_dir, columns)
        self._address = (host, port)
        self._stopping = threading.Event()
        self._server: socketserver.TCPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self._server.server_address[:2] if self._server else self._address

    def start(self) -> tuple[str, int]:
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                outer._serve(self.request)

        self._server = _TCPServer(self._address, Handler)
        self._address = self._server.server_address[:2]   # a restart keeps the same port
        self._stopping.clear()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="virtual-printer", daemon=True)
        self._thread.start()
        return self._address

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()                 # ends an open connection's recv loop
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)                 # to notice stop() while a client idles
        while not self._stopping.is_set():
            try:
                data = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:                  # the client reset the connection
                return
            if not data:
                return
            replies = self._take(data)
            if replies:
                try:
                    conn.sendall(replies)
                except OSError:
                    return


# -- the serial printer ----------------------------------------------------------------------
class VirtualSerialPrinter(_VirtualDevice):
    """A serial receipt printer on a pseudo-terminal; the driver opens `path` with pyserial.

    A pty ignores the baud rate, so with `baud` set the device reads no faster than a real
    line would carry (10 bits a byte): a big raster slip then takes as long as on the wire.
    `link` names a symlink kept pointing at the pty (as udev names /dev/printer), so a test
    can unplug (stop) and plug in again (start) under the same configured port name.
    """

    def __init__(self, out_dir: str | Path | None = None, columns: int = 48,
                 baud: int | None = None, link: str | Path | None = None):
        super().__init__(out_dir, columns)
        self.baud = baud
        self.link = Path(link) if link else None
        self.path = ""
        self._master = self._slave = -1
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        if self._thread is not None:
            raise RuntimeError("virtual serial printer already started")
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)              # or the line discipline rewrites LF and echoes
        # We keep the slave open too, so the master never sees EIO while the driver closes
        # and reopens the port between jobs.
        self.path = os.ttyname(self._slave)
        if self.link:
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(self.path)
            tmp.replace(self.link)           # atomic: the driver never sees a missing name
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="virtual-serial-printer", daemon=True)
        self._thread.start()
        return str(self.link or self.path)

    def stop(self) -> None:
        """Unplug: the pty and the symlink disappear."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self.link:
            self.link.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def _run(self) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self._master, 4096)
            except OSError as exc:           # the pty went away under us
                log.warning("virtual serial printer: read failed: %s", exc)
                return
            if self.baud:
                time.sleep(len(data) * 10 / self.baud)
            replies = self._take(data)
            if replies:
                os.write(self._master, replies)
