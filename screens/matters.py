"""The matter list: big tiles, one per matter from the hall's catalogue."""
from kivy.factory import Factory

from kiosk.session import Back, ChooseMatter
from screens.base import KioskScreen


class MattersScreen(KioskScreen):
    _shown: tuple = ()

    def render(self, snap):
        super().render(snap)
        self.ids.message.text = snap.catalog_message
        self.ids.btn_back.text = "返回" if snap.session.card else "退出"
        if snap.matters is self._shown:
            return                   # rebuild tiles only when the catalogue itself changed
        self._shown = snap.matters
        grid = self.ids.tiles
        grid.clear_widgets()
        self.dynamic.clear()
        for matter in snap.matters:
            tile = Factory.BigButton(text=f"{matter.name}\n[size=22sp]{matter.department} · {'/'.join(matter.audience)}[/size]",
                                     markup=True, height="130dp", halign="center")
            tile.bind(size=lambda w, s: setattr(w, "text_size", (s[0] - 24, None)))
            tile.bind(on_release=lambda _w, m=matter: self.post(ChooseMatter(m)))
            grid.add_widget(tile)
            self.dynamic[f"matter:{matter.code}"] = tile

    def back(self):
        self.post(Back())
