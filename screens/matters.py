"""The matter list: big tiles, filtered by audience and by pinyin initials or hanzi."""
from kivy.factory import Factory

from kiosk.domain.search import filter_matters
from kiosk.session import Back, ChooseMatter, FilterMatters
from screens import theme
from kivy.metrics import dp

from screens.base import KioskScreen, app, fs, tr
from screens.widgets.letterpad import LetterPad
from screens.widgets.scrolling import set_scroll_y


class MattersScreen(KioskScreen):
    _shown = None
    _tiles: dict = {}                # matter code -> its tile (see _tiles_for)
    _tiles_matters = None            # the catalogue they were built for
    _tiles_scale = None

    def render(self, snap):
        super().render(snap)
        s = snap.session
        self._session = s
        self.ids.btn_back.text = tr("返回" if s.card else "退出")
        for wid, audience in (("filter_all", ""), ("filter_person", "个人"), ("filter_enterprise", "法人")):
            self.ids[wid].state = "down" if s.audience == audience else "normal"
        visible = filter_matters(snap.matters, s.audience, s.query, snap.matter_initials)
        if s.query:
            found = "拼音首字母“{q}”：找到{n}项" if visible else "没有找到“{q}”，请删除几个字母再试"
            self.ids.message.text = tr(found).format(q=s.query.upper(), n=len(visible))
            self.ids.message.color = theme.PRIMARY if visible else theme.ACCENT
        else:
            self.ids.message.text = tr(snap.catalog_message)
            self.ids.message.color = theme.ACCENT
        key = (snap.matters, s.audience, s.query)
        if key == self._shown:
            return                   # re-place tiles only when what they show changed
        self._shown = key
        tiles = self._tiles_for(snap.matters)
        grid = self.ids.tiles
        grid.clear_widgets()
        self.dynamic = {k: v for k, v in self.dynamic.items() if not k.startswith("matter:")}
        for matter in visible:
            grid.add_widget(tiles[matter.code])
            self.dynamic[f"matter:{matter.code}"] = tiles[matter.code]

    def _tiles_for(self, matters) -> dict:
        """One tile per matter, built once per catalogue and kept across visits and filters (issue
        #15): building ~30 Buttons and their CJK textures on every visit was most of the 596 ms
        home -> matters touch, and widgets made and dropped per visit are memory churn. A tile
        shows the catalogue only (nothing of a visitor); 长者模式 refills its text in place."""
        scale = app().scale
        if matters != self._tiles_matters:
            self._tiles = {m.code: self._tile(m) for m in matters}
            self._tiles_matters, self._tiles_scale = matters, scale
        elif scale != self._tiles_scale:
            for m in matters:
                tile = self._tiles[m.code]
                tile.text = _tile_text(m)
                _fit_height(tile)
            self._tiles_scale = scale
        return self._tiles

    def _tile(self, matter):
        tile = Factory.BigButton(text=_tile_text(matter), markup=True, height=dp(130) * app().scale,
                                 halign="center")
        tile.bind(size=lambda w, sz: setattr(w, "text_size", (sz[0] - 24, None)), texture_size=_fit_height)
        tile.bind(on_release=lambda _w, m=matter: self.post(ChooseMatter(m)))
        return tile

    def set_audience(self, audience):
        self.post(FilterMatters(audience, self._session.query))

    def toggle_pad(self):
        box = self.ids.pad_box
        if box.children:
            box.clear_widgets()
            box.height = 0
            self.dynamic.pop("letterpad", None)
            self.post(FilterMatters(self._session.audience, ""))
            return
        pad = LetterPad(on_text=lambda text: self.post(FilterMatters(self._session.audience, text)))
        box.add_widget(pad)
        box.height = pad.height
        self.dynamic["letterpad"] = pad

    def back(self):
        self.post(Back())

    def wipe(self):
        self.ids.pad_box.clear_widgets()
        self.ids.pad_box.height = 0
        # The tiles stay built across visits (_tiles_for), and so would the list's scroll: the next
        # person would open it where the last one chose their matter. Every visit starts at the top.
        set_scroll_y(self.ids.scroll, 1)
        self._shown = None

    def invalidate(self):
        self._shown = None


def _fit_height(tile, *_):
    # two-line names grow their tile: nothing is cut off
    tile.height = max(dp(130) * app().scale, tile.texture_size[1] + dp(24))


def _tile_text(matter) -> str:
    small = int(fs(22))
    return f"{matter.name}\n[size={small}]{matter.department} · {'/'.join(matter.audience)}[/size]"
