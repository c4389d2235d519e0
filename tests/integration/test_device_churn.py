"""Devices coming and going (issue #12), the short version: each device unplugged and replugged
a few times while visits run, through the real kiosk composition against a real hall on
127.0.0.1 (tests/integration/device_churn.py describes the rig). The 100-cycle run with the
figures is tests/bench/bench_device_churn.py (`make bench`).

Per device: no crash (no uncaught thread exception, no error logged, the driver's thread
alive), back within 2 s of the replug, the status right on the screen and in the heartbeat the
hall stored at every check, and a visit that needs the device works after every replug.
"""
from __future__ import annotations

import os

import pytest

from screens.i18n import EN
from screens.status_text import _UNUSABLE

from .device_churn import RECOVER_LIMIT_S, churn

CYCLES = int(os.environ.get("CHURN_CYCLES", "5"))


def check(report):
    s = report.summary()
    assert s["cycles"] == CYCLES
    assert s["crashes"] == 0, s
    assert s["wrong_statuses"] == 0, s
    assert s["failed_visits"] == 0, s
    assert s["not_back_in_2s"] == 0 and s["recover_max_s"] <= RECOVER_LIMIT_S, s


def test_reader_and_serial_scanner_unplugged_and_replugged(tmp_path):
    for report in churn(tmp_path, ("idcard", "serial_scanner"), CYCLES, scanner="serial"):
        check(report)


def test_camera_and_printer_unplugged_and_replugged(tmp_path):
    # the printer's visit is a whole application, its materials photographed by the camera
    for report in churn(tmp_path, ("camera", "printer"), CYCLES, scanner="camera"):
        check(report)


@pytest.mark.parametrize("text", sorted(_UNUSABLE.values()))
def test_the_device_texts_have_english(text):
    assert EN.get(text)


def test_a_reader_replugged_mid_visit_keeps_the_visit(tmp_path):
    """The cable knocked out while a card lies on the reader: when it is back, the same card is
    not reported again (that would start the visit anew and lose what was typed)."""
    import time

    from drivers.idcard.fixtures import SAMPLE_CARD
    from kiosk import session as S
    from kiosk.ports import DeviceState

    from .device_churn import ChurnRig

    rig = ChurnRig(tmp_path, scanner="serial")
    try:
        rig.wait_ready()
        rig.sam.place_card(SAMPLE_CARD)
        assert rig.status.wait(lambda s: s.screen == "home", 3)
        rig.runtime.controller.post(S.OpenMatters())
        assert rig.status.wait(lambda s: s.screen == "matters", 3)
        for _ in range(3):
            rig.unplug("idcard")
            assert rig.status.wait(lambda s: s.devices["idcard"].state is not DeviceState.OK, 2)
            rig.replug("idcard")
            assert rig.status.wait(lambda s: s.devices["idcard"].state is DeviceState.OK, 2)
            time.sleep(1.0)                  # several polls with the card still there
            assert rig.status.snap.screen == "matters" and rig.status.snap.session.card is not None
        # and a card lifted meanwhile is read again when put back
        rig.unplug("idcard")
        rig.sam.remove_card()
        rig.replug("idcard")
        assert rig.status.wait(lambda s: s.devices["idcard"].state is DeviceState.OK, 2)
        time.sleep(1.0)
        rig.runtime.controller.post(S.Finish())
        assert rig.status.wait(lambda s: s.screen == "attract", 3)
        rig.sam.place_card(SAMPLE_CARD)
        assert rig.status.wait(lambda s: s.screen == "home", 3)
    finally:
        rig.close()
