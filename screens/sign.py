"""申请人承诺: the applicant reads the commitment and signs it with a finger; the signature goes
to the hall with the application as one more image (material id "signature").

The pad keeps the ink while the user writes; the signature reaches the session only with
确认签名并提交 (one event, not one per stroke). The session checks it is plausible and says why
not in words (kiosk.domain.signature.Signature.reason)."""
from kiosk.session import Back, Sign, Signing
from screens.base import KioskScreen, tr
from screens.status_text import printer_problem
from screens.widgets.signature_pad import SignaturePad

# The commitment shown above the box; the same words are printed on the receipt's record.
COMMITMENT = ("本人承诺：所填写的申请信息及提交的材料真实、准确、完整、有效，"
              "如有虚假，愿意承担相应的法律责任。")


class SignScreen(KioskScreen):
    def on_kv_post(self, _base):
        # each finished stroke: the session drops a stale "还没有签名" (the ink stays on the pad)
        self.pad = SignaturePad(on_stroke=lambda _pad, _sig: self.post(Signing()))
        self.ids.pad_holder.add_widget(self.pad)
        self.dynamic["pad"] = self.pad
        self.dynamic["pad_box"] = self.pad.ids.box
        self.dynamic["btn_clear"] = self.pad.ids.btn_rewrite

    def render(self, snap):
        super().render(snap)
        s = snap.session
        self.ids.message.text = tr(s.message) or tr(printer_problem(snap.devices))
        if s.signature is not None and not self.pad.strokes:
            self.pad.show(s.signature)   # back from a failed submit: the signature is still there

    def confirm(self):
        self.post(Sign(signature=self.pad.signature()))

    def back(self):
        self.post(Back())

    def wipe(self):
        self.pad.reset()                 # privacy: no ink of the last user stays on the pad
