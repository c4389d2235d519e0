"""Home: what the identified user can do."""
from kiosk.session import Finish, OpenMatters
from screens.base import KioskScreen, tr
from screens.status_text import printer_problem


class HomeScreen(KioskScreen):
    def render(self, snap):
        super().render(snap)
        card = snap.session.card
        self.ids.greeting.text = tr("您好，{name}").format(name=card.masked_name if card else "")
        self.ids.printer_hint.text = tr(printer_problem(snap.devices))

    def open_matters(self):
        self.post(OpenMatters())

    def logout(self):
        self.post(Finish())
