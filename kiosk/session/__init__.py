"""The customer session: a pure state machine.

`transition(session, event, now)` returns the next Session and does nothing else; the
controller performs the side effects a new state asks for (submit, print). Identity data lives
only in a Session object: wiping is returning a fresh Session().

    ATTRACT --card--> HOME --matters--> MATTERS --choose--> GUIDE --start--> FORM
    FORM --submit ok--> MATERIALS --all required settled--> REVIEW --confirm--> SIGN
    SIGN (申请人承诺) --a plausible handwritten signature--> SUBMITTING --done--> DONE --finish / timeout--> ATTRACT
    MATERIALS (申请材料): per material OpenCamera -> TakePhoto -> (controller) PhotoTaken ->
        UsePhoto | Retake ; DeferToWindow (窗口补交) ; ClearMaterial ; 免提交 are settled from the start
    DONE --evaluate--> EVALUATE --rated--> THANKS --finish / timeout--> ATTRACT   (好差评)
    ATTRACT --guest--> MATTERS (no card: guides only; placing the card there keeps the place)

Idle: after `idle_s` without a touch the screen warns (a countdown of `warn_s`); a touch
(KeepAlive) continues, otherwise the session is wiped.

The package: model.py (State, Session, Outcome, Timeouts), events.py, machine.py (transition, one
small function per flow), materials.py (the 申请材料 step). Import it as `from kiosk import session as S`.
"""
from kiosk.session.events import (  # noqa: F401  (re-exported: the session's one public face)
    CardRead, OpenMatters, CardProblem, Say, ShowScanHint, ReceiptScanned, OpenProgress, ShowApplications,
    OpenApplication, ShowProgress, OpenCredit, RequestCredit, ShowCredit, PrintCredit, LicenceScanned,
    OpenTechnician, PinChecked, ToggleLanguage, ToggleElder, FilterMatters, BrowseAsGuest,
    StartApplication, KeepAlive, ChooseMatter, SubmitForm, OpenCamera, TakePhoto, PhotoTaken,
    PhotoFailed, Retake, UsePhoto, CancelCapture, DeferToWindow, ClearMaterial, SubmitMaterials, Back,
    Confirm, Signing, Sign, Submitted, SubmitFailed, Printed, Reprint, Evaluate, Rate, Finish, Tick
)
from kiosk.session.machine import transition  # noqa: F401
from kiosk.session.materials import GO_TO_WINDOW, missing_text  # noqa: F401
from kiosk.session.model import Outcome, Session, State, Timeouts  # noqa: F401
