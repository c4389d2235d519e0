"""What the dev dock's buttons do to the simulated hardware (demo only).

Every action runs on its own short-lived thread: stopping a hall or writing to a pty must never
block the Kivy thread that called it.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class DockActions:
    def __init__(self, simulators, embedded_hall, cards, camera=None, last_application=lambda: "",
                 licence: str = ""):
        self._sims, self._hall, self._cards = simulators, embedded_hall, cards
        self._licence = licence
        self._camera, self._last_application = camera, last_application
        self._card_index = 0
        self._doc_index = 0

    def _async(self, fn, *args) -> None:
        threading.Thread(target=fn, args=args, daemon=True, name="dock-action").start()

    def place_card(self) -> None:
        self._async(self._sims.sam.place_card, self._cards[self._card_index])

    def swap_card(self) -> None:
        self._card_index = (self._card_index + 1) % len(self._cards)
        self.place_card()

    def remove_card(self) -> None:
        self._async(self._sims.sam.remove_card)

    def paper_out(self) -> None:
        self._sims.printer.paper = "out"

    def paper_ok(self) -> None:
        self._sims.printer.paper = "ok"

    def show_receipt_qr(self) -> None:
        """Hold the last receipt's QR code in front of the (simulated) camera."""
        no = self._last_application()
        if self._camera is not None and no:
            self._async(self._camera.show_payload, no)

    def show_licence_qr(self) -> None:
        if self._camera is not None and self._licence:
            self._async(self._camera.show_payload, self._licence)

    DOCUMENTS = ("lease_contract", "site_photo_sheet", "licence_copy")
    DOCUMENT_S = 60.0              # long enough to frame it, take the photo and retake it

    def show_document(self, name: str = "") -> threading.Event:
        """放置材料: lay a (generated, fictitious) paper document under the simulated camera;
        each press the next of DOCUMENTS unless one is named. The event is set once it lies
        there (drawing a page takes a second or two)."""
        laid = threading.Event()
        if self._camera is None:
            laid.set()
            return laid
        if not name:
            name = self.DOCUMENTS[self._doc_index % len(self.DOCUMENTS)]
            self._doc_index += 1

        def lay():
            from drivers.scanner.sample_document import document
            try:
                self._camera.show_image(document(name), seconds=self.DOCUMENT_S)
            finally:
                laid.set()
        self._async(lay)
        return laid

    def remove_document(self) -> None:
        if self._camera is not None:
            self._camera.hide()

    def network_down(self) -> None:
        if self._hall is not None:
            self._async(self._hall.stop)

    def network_up(self) -> None:
        if self._hall is not None:
            self._async(self._hall.start)


class ConsoleSam:
    """The simulated reader when it runs in another process (`python -m drivers.idcard.simulator`
    reading its console from a FIFO): the kiosk process then holds only the real serial driver,
    as deployed. Cards are named as the simulator's console knows them."""

    def __init__(self, fifo: Path):
        self._fifo = fifo

    def _say(self, command: str) -> None:
        with open(self._fifo, "w") as f:      # the simulator holds the FIFO open: no blocking
            f.write(command + "\n")

    def place_card(self, card) -> None:
        from drivers.idcard.fixtures import CONSOLE_CARDS
        name = next((name for name, known in CONSOLE_CARDS.items() if known == card), None)
        if name is None:   # placing someone else would walk a flow as the wrong person, unseen
            raise ValueError(f"the simulator's console knows no card for {card.name}")
        self._say(name)

    def remove_card(self) -> None:
        self._say("remove")
