"""Sign and submit: the signed application and its images go into the outbox in one
transaction, then straight to the hall. Hall unreachable -> a 待上传 number, the sender
delivers later; hall refuses -> back to review with its reason; disk unwritable -> nothing
saved, nothing sent (no half application), the person goes to the window. Whether the
strokes are a signature is the session's judgement (kiosk/domain/signature.py)."""
from __future__ import annotations

import base64
import logging
import uuid

from kiosk import session as S
from kiosk.domain import materials as M
from kiosk.domain.application import Applicant, Application
from kiosk.domain.message import Msg
from kiosk.outbox import OutboxFull, OutboxSender, SqliteOutbox
from kiosk.ports import Clock, HallRejected, HallUnavailable, OutboxItem

log = logging.getLogger(__name__)

STORAGE_FAILED = "本机存储故障，申请未能保存，也未发送。请到人工窗口办理。"


class SignAndSubmit:
    def __init__(self, terminal_id: str, outbox: SqliteOutbox, sender: OutboxSender, clock: Clock):
        self._terminal_id = terminal_id
        self._outbox, self._sender, self._clock = outbox, sender, clock

    def submit(self, s: S.Session):
        extra = {k: M.ATTACHED for k in s.attachments if k not in s.dispositions}   # e.g. the signature
        app = Application(matter_code=s.matter.code, matter_version=s.matter.version,
                          applicant=Applicant(s.card.name, s.card.id_number, _phone(s)),
                          fields=dict(s.values), terminal_id=self._terminal_id,
                          materials=tuple(M.payload(s.matter, s.dispositions, extra)))
        key = uuid.uuid4().hex
        item = OutboxItem(key=key, kind="application", payload=app.to_json(), created_at=self._clock.now())
        # The application and its images in one transaction, the application first: the
        # sender sends in that order and holds an image until its application has a number.
        items = [(key, item.kind, item.payload)] + [
            (material_key(key, a.material_id), "material", material_payload(key, a))
            for a in s.attachments.values()]
        try:
            self._outbox.enqueue_many(items)
        except OutboxFull as e:
            return storage_failed(e)
        try:
            result = self._sender.send_now(item)
            if len(items) > 1:
                self._sender.wake()      # the images go next, on the sender's thread
            return S.Submitted(S.Outcome(result["application_no"], False, s.matter.time_limit_text, key))
        except HallUnavailable:
            self._sender.wake()
            return S.Submitted(S.Outcome(local_number(key), True, s.matter.time_limit_text, key))
        except HallRejected as e:
            return S.SubmitFailed(Msg("申请未被受理：{detail}。请核对后重试，或咨询工作人员。", detail=e.message))


def storage_failed(error: OutboxFull):
    """Disk full or read-only: nothing was saved, so nothing is sent either — a direct send
    would deliver the application without the photos it could not keep (half an
    application). The person goes to the window; what was queued before stays queued."""
    log.error("outbox unwritable (%s): submission refused, nothing sent", error)
    return S.SubmitFailed(Msg(STORAGE_FAILED))


def material_key(application_key: str, material_id: str) -> str:
    """The outbox key of an image: derived from its application's, so a retry is the same item."""
    return f"{application_key}.{material_id}"


def material_payload(application_key: str, a: M.Attachment) -> dict:
    """An outbox item of kind "material": the image and the application it belongs to."""
    return {"application_key": application_key, "material_id": a.material_id,
            "content_type": a.content_type, "data_b64": base64.b64encode(a.data).decode("ascii")}


def local_number(key: str) -> str:
    """The number a 待上传回执 carries until the hall assigns the real one."""
    return "DS" + key[:12].upper()


def _phone(s: S.Session) -> str:
    for f in s.matter.form:
        if f.type == "phone":
            return s.values.get(f.name, "")
    return ""
