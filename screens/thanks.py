"""After a 好差评: thanks, and the way out."""
from kiosk.session import Finish
from screens.base import KioskScreen


class ThanksScreen(KioskScreen):
    def finish(self):
        self.post(Finish())
