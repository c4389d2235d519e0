"""The dev dock: on-screen buttons that drive the simulated hardware in `kiosk demo`.

Each button calls a DockActions method, which does its I/O on a worker thread — never here.
"""
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label

BUTTONS = [
    ("place_card", "放置身份证"),
    ("swap_card", "换一张身份证"),
    ("remove_card", "取走身份证"),
    ("show_receipt_qr", "扫回执二维码"),
    ("show_licence_qr", "扫营业执照码"),
    ("show_document", "放置材料"),
    ("remove_document", "取走材料"),
    ("paper_out", "打印机缺纸"),
    ("paper_ok", "装纸"),
    ("network_down", "断网（停止大厅）"),
    ("network_up", "恢复网络"),
]


class DevDock(BoxLayout):
    def __init__(self, actions, **kw):
        super().__init__(orientation="vertical", size_hint_x=None, width=220, padding=8, spacing=8, **kw)
        self.add_widget(Label(text="模拟设备", font_size="22sp", size_hint_y=None, height=40, color=(1, 1, 1, 1)))
        for method, text in BUTTONS:
            b = Button(text=text, font_size="20sp", size_hint_y=None, height=64)
            b.bind(on_release=lambda _b, m=method: getattr(actions, m)())
            self.add_widget(b)
        self.add_widget(Label())
