"""The card reader simulator in its own process, driven through its console by the dev dock's
`ConsoleSam` (as the memory bench and `kiosk demo --reader-console` run it): the card named is the
card the kiosk's real serial driver reads over the pty, and a card the console does not know is
refused rather than replaced by another person's."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drivers.idcard.fixtures import CONSOLE_CARDS, LEGAL_REP_CARD, SAMPLE_CARD_2
from kiosk.domain.identity import IdentityCard
from terminal.devdock import ConsoleSam

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def console_sim(tmp_path):
    fifo = tmp_path / "reader-console"
    os.mkfifo(fifo)
    # the FIFO is the simulator's stdin, opened read-write so that it always has a writer (as the
    # memory bench runs it): ConsoleSam's writes never block and never end its input
    console = os.open(fifo, os.O_RDWR)
    sim = subprocess.Popen([sys.executable, "-m", "drivers.idcard.simulator"], cwd=REPO, stdin=console,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(console)
    pty = sim.stdout.readline().strip()

    def understood() -> None:
        """Until the simulator has answered the console's last line (its `ok`, among its log lines)."""
        for line in sim.stderr:
            if line.strip() == "ok":
                return
            assert "commands (one per line)" not in line, "the simulator did not understand the console"
        raise AssertionError("the simulator ended")
    try:
        yield pty, ConsoleSam(fifo), understood
    finally:
        sim.kill()
        sim.wait()


def read_card(pty: str) -> dict:
    proc = subprocess.run([sys.executable, "-m", "terminal.cli", "--config", str(REPO / "config" / "kiosk.toml"),
                           "device", "idcard", "--port", pty, "--json", "--timeout", "5"],
                          cwd=REPO, capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("card", [LEGAL_REP_CARD, SAMPLE_CARD_2], ids=["legal_rep", "resident_2"])
def test_the_card_named_at_the_console_is_the_card_read(console_sim, card):
    pty, sam, understood = console_sim
    sam.place_card(card)
    understood()
    fields = read_card(pty)
    assert (fields["name"], fields["id_number"]) == (card.name, card.id_number)


def test_every_console_card_has_its_own_name():
    assert len({c.id_number for c in CONSOLE_CARDS.values()}) == len(CONSOLE_CARDS)


def test_an_unknown_card_is_refused_not_replaced(tmp_path):
    stranger = IdentityCard(name="无名氏", sex="男", nation="汉", birth=LEGAL_REP_CARD.birth, address="",
                            id_number="110101199001010011", authority="", valid_from=None, valid_to=None)
    fifo = tmp_path / "console"
    fifo.write_text("")         # a plain file stands in for the FIFO: nothing may be written to it
    with pytest.raises(ValueError, match="无名氏"):
        ConsoleSam(fifo).place_card(stranger)
    assert fifo.read_text() == ""
