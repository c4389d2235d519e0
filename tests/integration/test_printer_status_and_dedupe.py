"""Status in every state, paper running out mid-slip, replies lost after the data, unplug and
replug: over real TCP to the virtual printer. The rule under test: a job id never gives two
complete slips, and a cut-short slip is reprinted whole, marked 【补打】."""
import pytest

from drivers.printer.escpos_printer import ALREADY_PRINTED, UNCONFIRMED, EscposReceiptPrinter
from drivers.printer.samples import sample
from drivers.printer.virtual import VirtualPrinterServer
from kiosk.ports import DeviceState


@pytest.fixture
def server():
    srv = VirtualPrinterServer()
    srv.start()
    yield srv
    srv.stop()


def printer_for(srv, timeout=1.0) -> EscposReceiptPrinter:
    host, port = srv.address
    return EscposReceiptPrinter(host, port, timeout=timeout)


@pytest.mark.parametrize("setup, state, code", [
    (dict(), DeviceState.OK, ""),
    (dict(paper="near_end"), DeviceState.PAPER_NEAR_END, ""),
    (dict(paper="out"), DeviceState.PAPER_OUT, ""),
    (dict(cover_open=True), DeviceState.COVER_OPEN, ""),
    (dict(cutter_jammed=True), DeviceState.FAULT, "cutter_error"),
    (dict(silent=True), DeviceState.FAULT, "no_status_reply"),
])
def test_every_status_state(server, setup, state, code):
    for key, value in setup.items():
        setattr(server, key, value)
    status = printer_for(server, timeout=0.3).status()
    assert status.state is state and status.code == code
    job = printer_for(server, timeout=0.3).print(sample("evaluation"))
    assert job.ok is status.usable
    assert len(server.jobs) == (1 if status.usable else 0)


def test_paper_running_out_mid_slip_then_reload_reprints_marked(server):
    printer = printer_for(server)
    server.run_out_after(300)                    # about ten lines of paper left on the roll
    first = printer.print(sample("application"))
    assert not first.ok and first.status.state is DeviceState.PAPER_OUT
    assert first.message == "打印机缺纸，请联系工作人员"
    [partial] = server.jobs
    assert partial.incomplete and not partial.cut and "受理回执" in partial.text_lines
    assert printer.status().state is DeviceState.PAPER_OUT

    server.paper = "ok"                          # staff puts in a new roll; the user retries
    again = printer.print(sample("application"))
    assert again.ok
    assert len(server.jobs) == 2 and server.jobs[1].text_lines[0] == "【补打】"
    assert not server.jobs[1].incomplete and server.jobs[1].cut
    assert printer.print(sample("application")).message == ALREADY_PRINTED
    assert len(server.jobs) == 2


def test_reply_lost_after_the_data_is_not_printed_twice(server):
    printer = printer_for(server, timeout=0.3)
    server.on_job = lambda job: setattr(server, "silent", True)   # answers stop after the slip
    first = printer.print(sample("application"))
    assert not first.ok and first.message == UNCONFIRMED
    assert len(server.jobs) == 1                 # ... but the slip is on paper

    server.silent = False
    server.on_job = None
    retry = printer.print(sample("application"))
    assert retry.ok and retry.message == ALREADY_PRINTED
    assert len(server.jobs) == 1                 # the retry did not print it again

    extra = printer.print(sample("application").as_reprint("sample-application-copy"))
    assert extra.ok and len(server.jobs) == 2 and server.jobs[1].text_lines[0] == "【补打】"


def test_unconfirmed_job_then_paper_out_is_reprinted_after_reload(server):
    printer = printer_for(server, timeout=0.3)
    server.on_job = lambda job: setattr(server, "silent", True)
    assert not printer.print(sample("queued")).ok
    server.on_job, server.silent, server.paper = None, False, "out"
    assert printer.print(sample("queued")).status.state is DeviceState.PAPER_OUT
    server.paper = "ok"
    assert printer.print(sample("queued")).ok
    assert [job.text_lines[0] for job in server.jobs] == ["杭州市西湖区便民服务中心", "【补打】"]


def test_unplug_and_replug_on_the_same_address(server):
    printer = printer_for(server)
    assert printer.print(sample("evaluation")).ok
    server.stop()                                # cable pulled
    gone = printer.print(sample("progress"))
    assert not gone.ok and gone.status.state is DeviceState.ABSENT
    assert printer.status().state is DeviceState.ABSENT
    server.start()                               # plugged back in: same port, no restart of ours
    assert printer.status().state is DeviceState.OK
    assert printer.print(sample("progress")).ok
    assert len(server.jobs) == 2 and server.jobs[1].text_lines[0] != "【补打】"


def test_cover_opened_then_closed_prints_once(server):
    printer = printer_for(server)
    server.cover_open = True
    assert printer.print(sample("credit")).status.state is DeviceState.COVER_OPEN
    server.cover_open = False
    assert printer.print(sample("credit")).ok and printer.print(sample("credit")).message == ALREADY_PRINTED
    assert len(server.jobs) == 1 and server.jobs[0].text_lines[0] != "【补打】"
