"""The session's events: taps from the UI, devices' readings, and the answers the use cases
(kiosk/usecases/) feed back after a side effect (Show*, PhotoTaken, Submitted, Printed...)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from kiosk.domain.catalogue import Matter
from kiosk.domain.identity import IdentityCard
from kiosk.domain.signature import Signature
from kiosk.session.model import Outcome


@dataclass(frozen=True)
class CardRead:
    card: IdentityCard


@dataclass(frozen=True)
class OpenMatters:
    pass


@dataclass(frozen=True)
class CardProblem:
    """A card that cannot be used (unreadable, expired): say so, start nothing."""
    message: str


@dataclass(frozen=True)
class Say:
    """A one-line message on the current screen (e.g. what a scanned code was)."""
    message: str


@dataclass(frozen=True)
class ShowScanHint:
    """How to hold the code the camera cannot read (kiosk.domain.scan_hint), or None."""
    hint: object = None


@dataclass(frozen=True)
class ReceiptScanned:
    application_no: str


@dataclass(frozen=True)
class OpenProgress:
    pass


@dataclass(frozen=True)
class ShowApplications:
    """The controller fetched the list (or why it could not)."""
    applications: tuple = ()
    message: str = ""


@dataclass(frozen=True)
class OpenApplication:
    application_no: str


@dataclass(frozen=True)
class ShowProgress:
    progress: object = None
    message: str = ""


@dataclass(frozen=True)
class OpenCredit:
    pass


@dataclass(frozen=True)
class RequestCredit:
    kind: str                    # "person" (the card holder's own) | "enterprise"
    code: str = ""               # enterprise: 统一社会信用代码 (from the licence QR)
    licence_qr: str = ""


@dataclass(frozen=True)
class ShowCredit:
    report: object = None
    message: str = ""


@dataclass(frozen=True)
class PrintCredit:
    a4: bool = False             # False: the summary slip; True: the full report on A4


@dataclass(frozen=True)
class LicenceScanned:
    uscc: str
    payload: str


@dataclass(frozen=True)
class OpenTechnician:
    """The hidden gesture (five taps on the hall's name) on the attract screen."""


@dataclass(frozen=True)
class PinChecked:
    ok: bool                     # the controller compares the PIN with the config, not the session


@dataclass(frozen=True)
class ToggleLanguage:
    pass


@dataclass(frozen=True)
class ToggleElder:
    pass


@dataclass(frozen=True)
class FilterMatters:
    audience: str = ""
    query: str = ""


@dataclass(frozen=True)
class BrowseAsGuest:
    """游客: read 办事指南 without identifying."""


@dataclass(frozen=True)
class StartApplication:
    """开始办理 on a guide."""


@dataclass(frozen=True)
class KeepAlive:
    """Any touch: the user is still there."""


@dataclass(frozen=True)
class ChooseMatter:
    matter: Matter


@dataclass(frozen=True)
class SubmitForm:
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OpenCamera:
    """拍照 on a material: the live preview opens for it."""
    material_id: str


@dataclass(frozen=True)
class TakePhoto:
    """The big 拍照 button under the preview: the controller takes the still."""


@dataclass(frozen=True)
class PhotoTaken:
    data: bytes                  # JPEG (controller thread, StillCamera.capture_jpeg)
    content_type: str = "image/jpeg"

    def __repr__(self) -> str:
        return f"PhotoTaken({len(self.data)} B)"


@dataclass(frozen=True)
class PhotoFailed:
    message: str


@dataclass(frozen=True)
class Retake:
    """重拍: back to the live preview, the photo discarded."""


@dataclass(frozen=True)
class UsePhoto:
    """使用此照片: the photo is attached to the material."""


@dataclass(frozen=True)
class CancelCapture:
    pass


@dataclass(frozen=True)
class DeferToWindow:
    """窗口补交 (only where the matter allows it for this material)."""
    material_id: str


@dataclass(frozen=True)
class ClearMaterial:
    """Undo a photo or a 窗口补交 choice."""
    material_id: str


@dataclass(frozen=True)
class SubmitMaterials:
    """下一步 on the materials screen. camera_ok is filled in by the controller (the session
    does not see devices): it decides what a missing material's message tells the user."""
    camera_ok: bool = True


@dataclass(frozen=True)
class Back:
    pass


@dataclass(frozen=True)
class Confirm:
    pass


@dataclass(frozen=True)
class Signing:
    """A finger wrote on the pad: an earlier "还没有签名" no longer applies."""


@dataclass(frozen=True)
class Sign:
    """确认签名并提交: the strokes drawn on the pad (the session judges whether they are a signature)."""
    signature: Signature


@dataclass(frozen=True)
class Submitted:
    outcome: Outcome


@dataclass(frozen=True)
class SubmitFailed:
    message: str


@dataclass(frozen=True)
class Printed:
    ok: bool
    message: str


@dataclass(frozen=True)
class Reprint:
    """补打: the user asks for the receipt again (explicitly: never a silent retry)."""


@dataclass(frozen=True)
class Evaluate:
    """评价本次服务 on the result screen."""


@dataclass(frozen=True)
class Rate:
    level: int                   # 5 非常满意 … 1 非常不满意
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finish:
    """The user is done (or walked away): wipe everything."""


@dataclass(frozen=True)
class Tick:
    pass
