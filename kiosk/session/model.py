"""The session's data: its states, the Session record (everything a visit holds, wiped by
returning a fresh Session()), the outcome of a submission, the idle timeouts."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from kiosk.domain.catalogue import Matter
from kiosk.domain.identity import IdentityCard
from kiosk.domain.scan_hint import ScanHint
from kiosk.domain import materials as M
from kiosk.domain.signature import Signature


class State(enum.Enum):
    ATTRACT = "attract"
    HOME = "home"
    MATTERS = "matters"
    GUIDE = "guide"
    FORM = "form"
    MATERIALS = "materials"              # 申请材料: photograph, 免提交 or 窗口补交 each
    REVIEW = "review"
    SIGN = "sign"                        # 申请人承诺: signed by hand before submitting
    SUBMITTING = "submitting"
    DONE = "done"
    CREDIT = "credit"                    # 信用报告: whose report (本人 / 企业)
    CREDIT_REPORT = "credit_report"      # the summary on screen, print it
    TECH_PIN = "tech_pin"                # technician menu: the PIN first
    TECH = "tech"                        # technician menu
    PROGRESS = "progress"                # an identified person's applications
    PROGRESS_DETAIL = "progress_detail"  # one application's timeline
    EVALUATE = "evaluate"
    THANKS = "thanks"


_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True)
class Outcome:
    application_no: str
    queued: bool                 # True: the hall was unreachable, the application waits in the outbox
    time_limit_text: str
    key: str = ""                # the application's idempotency key (links a 好差评 to it)
    print_ok: bool | None = None  # None = not printed yet
    print_message: str = ""


@dataclass(frozen=True)
class Session:
    state: State = State.ATTRACT
    card: IdentityCard | None = None
    matter: Matter | None = None
    values: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    errors: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    outcome: Outcome | None = None
    message: str = ""            # a plain-Chinese message for the current screen, e.g. a failed submit
    lang: str = "zh"             # "zh" | "en": the next user starts in Chinese again
    elder: bool = False          # 长者模式: larger text and targets
    applications: tuple = ()     # PROGRESS: kiosk.domain.progress.Progress, newest first
    progress: object = None      # PROGRESS_DETAIL: the Progress shown
    wanted_no: str = ""          # a scanned receipt's number, waiting for the card to prove it
    credit: object = None        # CREDIT_REPORT: kiosk.domain.credit_report.CreditReport
    credit_request: tuple = ()   # (kind, code, licence_qr) being fetched
    fetching: str = ""           # what the controller must ask the hall for now: "" | "applications"
                                 # | "progress" | "credit"; the Show* answer clears it
    waiting_licence: bool = False  # CREDIT: the enterprise's 电子营业执照 QR is expected
    audience: str = ""           # matter list filter: "" everyone, "个人", "法人"
    query: str = ""              # matter list search: hanzi or pinyin initials
    last_activity: float = 0.0   # monotonic seconds
    # 申请材料 (kiosk/domain/materials.py). Photos live here only: wiped with the session,
    # handed to the outbox at submission.
    dispositions: Mapping[str, str] = field(default_factory=lambda: _EMPTY)   # material id -> disposition
    attachments: Mapping[str, M.Attachment] = field(default_factory=lambda: _EMPTY)
    capturing: str = ""          # the material being photographed: the camera view is open
    photo: M.Attachment | None = None   # the photo just taken, shown large: 使用此照片 / 重拍
    material_errors: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    signature: Signature | None = None   # SIGN: kept so that a failed submit need not be signed again
    scan_hint: ScanHint | None = None    # how to hold a code the camera sees but cannot read


@dataclass(frozen=True)
class Timeouts:
    idle_s: float = 60.0         # silence before the countdown appears
    warn_s: float = 15.0         # the countdown: a touch on 继续办理 keeps the session
    done_s: float = 30.0         # the result screen: the user is finished, no countdown

    def for_state(self, state: State) -> float | None:
        """Seconds of silence after which the session is wiped (None: never)."""
        if state in (State.ATTRACT, State.SUBMITTING):
            return None          # nothing to wipe / we owe the user an answer first
        return self.done_s if state in (State.DONE, State.THANKS) else self.idle_s + self.warn_s

    def seconds_left(self, s: "Session", now: float) -> int | None:
        """Whole seconds before the wipe while the countdown shows, else None."""
        limit = self.for_state(s.state)
        if limit is None or s.state in (State.DONE, State.THANKS):
            return None
        left = limit - (now - s.last_activity)
        return max(0, int(left + 0.999)) if left <= self.warn_s else None
