"""申请材料: for each material of the matter, 免提交 (shown, nothing to do), a photo taken with the
camera (live preview, 拍照, the photo large with 重拍 / 使用此照片) or 窗口补交 where allowed.

The screen renders the session (dispositions, the material in the camera view, the photo just
taken) and posts events; the still itself is taken and encoded by the controller thread through
the StillCamera port, never here. Photos shown here are decoded from the session's JPEG bytes.
"""
from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.image import Image
from kivy.uix.label import Label

from kiosk.domain import materials as M
from kiosk.session import (GO_TO_WINDOW, Back, CancelCapture, ClearMaterial, DeferToWindow, OpenCamera, Retake,
                           SubmitMaterials, TakePhoto, UsePhoto)
from screens import theme
from screens.base import KioskScreen, app, fs, tr
from screens.widgets.discard import discard_children
from screens.widgets.scrolling import scroll_when_drawn

AMBER = (0.62, 0.36, 0.0, 1)      # 窗口补交: readable on the light background (contrast > 4.5:1)

_CAMERA_PROBLEM = {
    "absent": "摄像头未连接，暂不能拍照",
    "fault": "摄像头故障，暂不能拍照",
}


def camera_problem(status) -> str:
    """"" when photographing can work; otherwise why not, in words."""
    if status is None:
        return "本机没有摄像头，暂不能拍照"
    if status.usable:
        return ""
    return _CAMERA_PROBLEM.get(status.state.value, "摄像头暂不可用，暂不能拍照")


class MaterialsScreen(KioskScreen):
    capturing = BooleanProperty(False)     # the camera view is open: the list's lines fold away
    _preview = None
    _photo_key = None          # (material id, id of the bytes) of the photo drawn
    _thumbs: dict = {}
    _built_for = None
    _scrolled_for = None

    # -- render --------------------------------------------------------------------------------
    def render(self, snap):
        super().render(snap)
        s = snap.session
        if s.matter is None:
            return
        problem = camera_problem(snap.camera)
        self.ids.camera_problem.text = (tr(problem) + tr("；可窗口补交的材料请选择“窗口补交”")) if problem else ""
        if s.capturing:
            self._render_capture(s, problem)
        else:
            self._render_list(s, problem)

    def _render_list(self, s, problem: str) -> None:
        self.capturing = False
        self._stop_preview()
        self._show(self._list_panel)
        n = len(s.material_errors)
        self.ids.summary.text = tr("还有{n}项必需材料未提交，请看标红的提示").format(n=n) if n else ""
        self.ids.message.text = tr(s.message)
        self._build_rows(s, problem)
        if self._scrolled_for is not s.matter:     # a new visit starts at the top of the list (a
            self._scrolled_for = s.matter          # list left scrolled by the last one was blank)
            scroll_when_drawn(self.ids.scroll, lambda: 1.0)   # rows built ahead are placed when drawn

    def prepare(self, snap) -> None:
        """The list of materials as it opens, built while the form is filled in."""
        s = snap.session
        if s.matter is not None and not s.capturing:
            self._build_rows(s, camera_problem(snap.camera))

    def _build_rows(self, s, problem: str) -> None:
        key = (s.matter, s.dispositions, s.material_errors, bool(problem), app().lang, app().scale)
        if key == self._built_for:
            return
        self._built_for = key
        grid = self.ids.rows
        discard_children(grid)
        self.dynamic = {}
        for m in s.matter.materials:
            grid.add_widget(self._row(s, m, problem))
        self._thumbs = {k: v for k, v in self._thumbs.items() if k[0] in s.attachments}

    def _row(self, s, m, problem: str):
        d = s.dispositions.get(m.id, M.NONE)
        row = BoxLayout(orientation="horizontal", size_hint_y=None, spacing=dp(16), padding=(dp(16), dp(10)))
        _background(row, m.id in s.material_errors)
        left = BoxLayout(orientation="vertical", size_hint_y=None, spacing=dp(4), pos_hint={"center_y": 0.5})
        left.bind(minimum_height=left.setter("height"))
        mark = "*" if m.required and not m.exempt_by_sharing else ""     # no space: no line break after it
        extra = [m.form] + ([tr("{n}份").format(n=m.copies)] if m.copies > 1 else [])
        left.add_widget(_wrap(f"{mark}{m.name}（{'，'.join(extra)}）", fs(26), theme.TEXT, bold=True))
        status, color = self._status(m, d)
        left.add_widget(_wrap(status, fs(24), color))
        err = s.material_errors.get(m.id, "")
        if err:
            text = tr(err) + (f"{tr('：')}{s.matter.location}" if err == GO_TO_WINDOW else "")
            left.add_widget(_wrap(tr("！") + text, fs(24), theme.ACCENT))
            self.dynamic[f"error:{m.id}"] = left.children[0]
        row.add_widget(left)
        if d == M.ATTACHED and m.id in s.attachments:
            thumb = Image(texture=self._thumb(m.id, s.attachments[m.id].data), fit_mode="contain",
                          size_hint=(None, None), size=(dp(120) * app().scale, dp(90) * app().scale),
                          pos_hint={"center_y": 0.5})
            row.add_widget(thumb)
            self.dynamic[f"thumb:{m.id}"] = thumb
        buttons = BoxLayout(orientation="horizontal", size_hint=(None, None), spacing=dp(12),
                            height=dp(72) * app().scale, pos_hint={"center_y": 0.5})
        if not m.exempt_by_sharing:
            for name, text, event, enabled in self._buttons(m, d, problem):
                b = Factory.MaterialButton(text=tr(text), disabled=not enabled)
                b.bind(on_release=lambda _b, e=event: self.post(e))
                buttons.add_widget(b)
                self.dynamic[f"{name}:{m.id}"] = b
        def fit_buttons(*_):      # a button's width follows its text, known once it is drawn
            buttons.width = sum(b.width for b in buttons.children) + dp(12) * max(0, len(buttons.children) - 1)
        for b in buttons.children:
            b.bind(width=fit_buttons)
        fit_buttons()
        row.add_widget(buttons)

        def fit(*_):
            row.height = max(left.height, buttons.height, dp(90) * app().scale) + dp(20)
        left.bind(height=fit)
        fit()
        self.dynamic[f"row:{m.id}"] = row
        return row

    @staticmethod
    def _status(m, d):
        if m.exempt_by_sharing:
            return tr("✓ 免提交：通过数据共享获取，免提交"), theme.OK_GREEN
        if d == M.ATTACHED:
            return tr("✓ 已拍照，将随申请一并上传"), theme.OK_GREEN
        if d == M.WINDOW:
            return tr("窗口补交：请在受理后携带此材料到窗口"), AMBER
        if m.required:
            return tr("必需材料，尚未提交"), theme.MUTED
        return tr("可选材料，没有可不提交"), theme.MUTED

    @staticmethod
    def _buttons(m, d, problem):
        camera = not problem
        if d == M.ATTACHED:
            return [("photo", "重拍", OpenCamera(m.id), camera), ("clear", "删除照片", ClearMaterial(m.id), True)]
        out = [("photo", "改为拍照" if d == M.WINDOW else "拍照", OpenCamera(m.id), camera)]
        if d == M.WINDOW:
            out.append(("clear", "取消补交", ClearMaterial(m.id), True))
        elif m.window_allowed:
            out.append(("window", "窗口补交", DeferToWindow(m.id), True))
        return out

    def _thumb(self, material_id: str, data: bytes):
        key = (material_id, id(data))
        if key not in self._thumbs:
            self._thumbs[key] = _texture(data)
        return self._thumbs[key]

    # -- the camera view -------------------------------------------------------------------------
    def _render_capture(self, s, problem: str) -> None:
        self._built_for = None
        self.capturing = True
        self._show(self._capture_panel)
        m = next(x for x in s.matter.materials if x.id == s.capturing)
        self.ids.capture_title.text = m.name
        taking = s.fetching == "photo"
        if s.photo is None:
            self.ids.capture_hint.text = tr("请将材料平放在台面上，整页放入黄色框内，再按“拍照”")
            self._start_preview()
            self._photo_key = None
            self.ids.photo.opacity = 0
        else:
            self._stop_preview()
            key = (s.capturing, id(s.photo.data))
            if key != self._photo_key:
                self.ids.photo.texture = _texture(s.photo.data)
                self._photo_key = key
            self.ids.photo.opacity = 1
            self.ids.capture_hint.text = tr("请看照片：文字清楚、整页完整，就按“使用此照片”；否则请重拍")
        self.ids.capture_message.text = tr(s.message) or (tr(problem) if problem and s.photo is None else "")
        b = self._capture_buttons()
        # two big buttons at a time (there is no room for three in 长者模式): a photo is either
        # used or retaken; leaving the camera view is 取消 under the live picture
        shown = ["btn_shutter", "btn_cancel_capture"] if s.photo is None else ["btn_use", "btn_retake"]
        box = self.ids.capture_buttons
        if [w.kiosk_name for w in reversed(box.children)] != shown:
            box.clear_widgets()
            for name in shown:
                box.add_widget(b[name])
        b["btn_shutter"].disabled = taking or bool(problem)
        b["btn_shutter"].text = tr("正在拍照…") if taking else tr("拍照")
        b["btn_use"].text, b["btn_retake"].text = tr("使用此照片"), tr("重拍")
        b["btn_cancel_capture"].text = tr("取消，返回材料列表")
        b["btn_cancel_capture"].disabled = taking

    def _capture_buttons(self) -> dict:
        if not self._cbuttons:
            for name, cls, action in (("btn_shutter", "BigButton", self.shutter),
                                      ("btn_use", "BigButton", self.use_photo),
                                      ("btn_retake", "SecondaryButton", self.retake),
                                      ("btn_cancel_capture", "SecondaryButton", self.cancel_capture)):
                w = getattr(Factory, cls)()
                w.kiosk_name = name
                w.bind(on_release=lambda _w, a=action: a())
                self._cbuttons[name] = w
        return self._cbuttons

    def find(self, name: str):
        return super().find(name) or self._cbuttons.get(name)

    def _start_preview(self):
        box = self.ids.preview_box
        if self._preview is None and app().frame_source is not None:
            from screens.widgets.preview import CameraPreview
            self._preview = CameraPreview(app().frame_source, target="page")
            box.add_widget(self._preview, index=1)      # under the photo, which covers it when shown
        if self._preview is not None:
            self._preview.opacity = 1
            self._preview.start()

    def _stop_preview(self):
        if self._preview is not None:
            self._preview.stop()
            self._preview.opacity = 0

    def _show(self, panel):
        holder = self.ids.content
        if panel.parent is not holder:
            holder.clear_widgets()
            holder.add_widget(panel)
        # 上一步 / 下一步 leave the tree while the camera view is open (hidden but present, their
        # disabled buttons would swallow touches meant for the camera view's)
        nav, body = self._nav, self._body
        if panel is self._list_panel and nav.parent is None:
            body.add_widget(nav)             # index 0: the bottom of the vertical layout
        elif panel is not self._list_panel and nav.parent is not None:
            body.remove_widget(nav)

    def on_kv_post(self, base_widget):
        # both panels are made by kv; only one is in the content box at a time
        self._cbuttons = {}
        # kv ids are weak references: keep the panel that is out of the tree alive ourselves
        self._list_panel, self._capture_panel = self.ids.list_panel.__self__, self.ids.capture_panel.__self__
        self._nav = self.ids.nav.__self__
        self._body = self._nav.parent
        self.ids.content.remove_widget(self._capture_panel)

    def on_leave(self, *_):
        self._stop_preview()

    # -- buttons ---------------------------------------------------------------------------------
    def shutter(self):
        self.post(TakePhoto())

    def use_photo(self):
        self.post(UsePhoto())

    def retake(self):
        self.post(Retake())

    def cancel_capture(self):
        self.post(CancelCapture())

    def next(self):
        self.post(SubmitMaterials())

    def back(self):
        self.post(Back())

    def wipe(self):
        """Privacy: no photo of the last user stays in a texture."""
        self._stop_preview()
        discard_children(self.ids.rows)
        self.ids.photo.texture = None
        self._photo_key = None
        self._thumbs = {}
        self._built_for = None
        self._scrolled_for = None
        self.dynamic = {}
        self._show(self._list_panel)

    def invalidate(self):
        self._built_for = None


def _background(row, error: bool) -> None:
    from kivy.graphics import Color, Line, Rectangle
    with row.canvas.before:
        Color(1, 1, 1, 1)
        rect = Rectangle(pos=row.pos, size=row.size)
        Color(*(theme.ACCENT if error else (0.80, 0.84, 0.90, 1)))
        border = Line(rectangle=(*row.pos, *row.size), width=2 if error else 1)

    def place(*_):
        rect.pos, rect.size = row.pos, row.size
        border.rectangle = (*row.pos, *row.size)
    row.bind(pos=place, size=place)


def _texture(data: bytes):
    return CoreImage(io.BytesIO(data), ext="jpg" if data[:3] == b"\xff\xd8\xff" else "png").texture


def _wrap(text, size, color, bold=False):
    lab = Label(text=text, font_size=size, color=color, bold=bold, size_hint_y=None, halign="left", valign="middle")
    lab.bind(width=lambda w, v: setattr(w, "text_size", (v, None)),
             texture_size=lambda w, ts: setattr(w, "height", ts[1]))
    return lab
