from kiosk import session as S
from kiosk.session import State
from tests.unit.conftest import GOOD_VALUES, make_card

T = S.Timeouts(idle_s=90, done_s=30)


def run(events, start=None, t0=0.0):
    s = start or S.Session()
    for i, e in enumerate(events):
        s = S.transition(s, e, t0 + i, T)
    return s


def to_review(matter, card):
    s = run([S.CardRead(card), S.OpenMatters(), S.ChooseMatter(matter)])
    values = {**s.values, **GOOD_VALUES}
    return S.transition(s, S.SubmitForm(values), 10, T)


def test_happy_path_states(matter, card):
    s = run([S.CardRead(card)])
    assert s.state is State.HOME and s.card is card
    s = run([S.OpenMatters(), S.ChooseMatter(matter)], start=s)
    assert s.state is State.FORM
    assert s.values["applicant_name"] == "张三" and s.values["id_number"] == card.id_number
    s = to_review(matter, card)
    assert s.state is State.REVIEW and not s.errors
    s = S.transition(s, S.Confirm(), 11, T)
    assert s.state is State.SUBMITTING
    s = S.transition(s, S.Submitted(S.Outcome("QY1", False, "承诺5个工作日")), 12, T)
    assert s.state is State.DONE
    s = S.transition(s, S.Printed(True, "ok"), 13, T)
    assert s.outcome.print_ok is True
    s = S.transition(s, S.Finish(), 14, T)
    assert s == S.Session()           # wiped: no card, no values, no outcome


def test_form_errors_keep_user_on_form(matter, card):
    s = run([S.CardRead(card), S.OpenMatters(), S.ChooseMatter(matter)])
    s = S.transition(s, S.SubmitForm({**s.values, "phone": "12345"}), 5, T)
    assert s.state is State.FORM
    assert s.errors["phone"].startswith("请填写11位手机号码")
    assert s.errors["site"] == "请填写设置地点"
    assert s.errors["period"] == "请填写设置期限"
    assert "note" not in s.errors     # optional
    assert s.values["phone"] == "12345"   # what was typed is kept for correction


def test_idle_timeout_wipes_session(matter, card):
    s = run([S.CardRead(card), S.OpenMatters()], t0=100)
    assert S.transition(s, S.Tick(), 101 + 89, T).state is State.MATTERS
    wiped = S.transition(s, S.Tick(), 101 + 90, T)
    assert wiped == S.Session()


def test_done_screen_times_out_sooner(matter, card):
    s = S.transition(to_review(matter, card), S.Confirm(), 11, T)
    s = S.transition(s, S.Submitted(S.Outcome("QY1", False, "x")), 20, T)
    assert S.transition(s, S.Tick(), 49, T).state is State.DONE
    assert S.transition(s, S.Tick(), 50, T).state is State.ATTRACT


def test_submitting_never_times_out_and_ignores_new_card(matter, card):
    s = S.transition(to_review(matter, card), S.Confirm(), 11, T)
    assert S.transition(s, S.Tick(), 10_000, T).state is State.SUBMITTING
    assert S.transition(s, S.CardRead(make_card("李四")), 12, T).card is card


def test_new_card_starts_new_session(matter, card):
    s = to_review(matter, card)
    other = make_card("李四华", "32010219851111002")
    s2 = S.transition(s, S.CardRead(other), 20, T)
    assert s2.state is State.HOME and s2.card is other and s2.matter is None and not s2.values


def test_back_navigation_and_stale_events(matter, card):
    s = to_review(matter, card)
    s = S.transition(s, S.Back(), 20, T)
    assert s.state is State.FORM and s.values["phone"] == "13912345678"
    assert S.transition(S.Session(), S.Confirm(), 1, T) == S.Session()   # stale tap on attract


def test_submit_failure_returns_to_review_with_message(matter, card):
    s = S.transition(to_review(matter, card), S.Confirm(), 11, T)
    s = S.transition(s, S.SubmitFailed("申请未被受理"), 12, T)
    assert s.state is State.REVIEW and s.message == "申请未被受理"
