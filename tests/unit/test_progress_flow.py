"""进度查询 through the session: a scanned receipt must be proved with the card; a list for the
identified person; failures say what to do."""
from kiosk import session as S
from kiosk.domain.progress import Progress
from kiosk.session import State
from tests.unit.conftest import make_card

T = S.Timeouts()
P = Progress.from_json({"application_no": "QY2026112800001C", "matter_name": "户外广告设施设置审批",
                        "status_text": "已受理", "time_limit_text": "承诺5个工作日", "received_at": "2026-11-28T09:30:00+08:00",
                        "promised_due": "2026-12-04", "note": "", "overdue": "promised",
                        "timeline": [{"status_text": "已提交", "at": "2026-11-28T09:30:00+08:00", "note": ""}]})


def test_scanned_receipt_waits_for_the_card():
    s = S.transition(S.Session(), S.ReceiptScanned("QY2026112800001C"), 1, T)
    assert s.state is State.PROGRESS_DETAIL and s.card is None and "身份证" in s.message
    assert s.fetching == ""                                         # nothing to ask before the card
    s = S.transition(s, S.CardRead(make_card()), 2, T)
    assert s.state is State.PROGRESS_DETAIL and s.card is not None
    assert (s.fetching, s.message) == ("progress", "正在查询…")    # the controller asks the hall now
    s = S.transition(s, S.ShowProgress(P), 3, T)
    assert s.fetching == ""
    assert s.progress.overdue_text == "已超承诺时限" and s.progress.timeline[0].status_text == "已提交"
    assert S.transition(s, S.Back(), 4, T).state is State.HOME


def test_guest_leaving_a_scanned_receipt_leaves():
    s = S.transition(S.Session(), S.ReceiptScanned("QY2026112800001C"), 1, T)
    assert S.transition(s, S.Back(), 2, T) == S.Session()


def test_list_then_detail_then_back_to_list():
    s = S.transition(S.Session(), S.CardRead(make_card()), 1, T)
    s = S.transition(s, S.OpenProgress(), 2, T)
    assert s.state is State.PROGRESS and s.message == "正在查询…" and s.fetching == "applications"
    empty = S.transition(s, S.ShowApplications(()), 3, T)
    assert empty.message == "没有查到您在本系统提交的申请"
    s = S.transition(s, S.ShowApplications((P,)), 3, T)
    s = S.transition(s, S.OpenApplication(P.application_no), 4, T)
    assert s.state is State.PROGRESS_DETAIL and s.wanted_no == P.application_no
    s = S.transition(s, S.ShowProgress(None, "网络中断，暂时无法查询，请稍后再试"), 5, T)
    assert s.progress is None and "网络中断" in s.message and s.fetching == ""   # no retry loop
    assert S.transition(s, S.Back(), 6, T).state is State.PROGRESS


def test_card_problems_reach_the_attract_screen_only():
    s = S.transition(S.Session(), S.CardProblem("身份证读取失败"), 1, T)
    assert s.state is State.ATTRACT and s.message == "身份证读取失败"
    home = S.transition(S.Session(), S.CardRead(make_card()), 1, T)
    assert S.transition(home, S.CardProblem("x"), 2, T) is home     # an identified user is not disturbed
