"""Home: what the identified user can do."""
from kiosk.session import Finish, OpenCredit, OpenMatters, OpenProgress
from screens.base import KioskScreen, tr
from screens.status_text import printer_problem


class HomeScreen(KioskScreen):
    def render(self, snap):
        super().render(snap)
        card = snap.session.card
        self.ids.greeting.text = tr("您好，{name}").format(name=card.masked_name if card else "")
        self.ids.printer_hint.text = tr(snap.session.message) or tr(printer_problem(snap.devices))

    def open_credit(self):
        self.post(OpenCredit())

    def open_progress(self):
        self.post(OpenProgress())

    def open_matters(self):
        self.post(OpenMatters())

    def logout(self):
        self.post(Finish())
