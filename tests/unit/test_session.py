from kiosk import session as S
from kiosk.session import State
from kiosk.domain.signature import DOT, EMPTY, Signature
from tests.unit.conftest import GOOD_VALUES, SIGNED, make_card

T = S.Timeouts(idle_s=60, warn_s=15, done_s=30)


def run(events, start=None, t0=0.0):
    s = start or S.Session()
    for i, e in enumerate(events):
        s = S.transition(s, e, t0 + i, T)
    return s


def to_form(matter, card):
    return run([S.CardRead(card), S.OpenMatters(), S.ChooseMatter(matter), S.StartApplication()])


def signed(s):
    """REVIEW -> 确认 -> SIGN -> a plausible signature -> SUBMITTING."""
    return run([S.Confirm(), S.Sign(SIGNED)], start=s, t0=11)


def to_review(matter, card):
    s = to_form(matter, card)
    values = {**s.values, **GOOD_VALUES}
    s = S.transition(s, S.SubmitForm(values), 10, T)
    assert s.state is State.MATERIALS
    return run([S.DeferToWindow("m1"), S.SubmitMaterials()], start=s, t0=10)


def test_happy_path_states(matter, card):
    s = run([S.CardRead(card)])
    assert s.state is State.HOME and s.card is card
    s = run([S.OpenMatters(), S.ChooseMatter(matter)], start=s)
    assert s.state is State.GUIDE and s.matter is matter
    s = run([S.StartApplication()], start=s)
    assert s.state is State.FORM
    assert s.values["applicant_name"] == "张三" and s.values["id_number"] == card.id_number
    s = to_review(matter, card)
    assert s.state is State.REVIEW and not s.errors
    s = S.transition(s, S.Confirm(), 11, T)
    assert s.state is State.SIGN
    s = S.transition(s, S.Sign(SIGNED), 11, T)
    assert s.state is State.SUBMITTING and s.attachments["signature"].content_type == "image/png"
    s = S.transition(s, S.Submitted(S.Outcome("QY1", False, "承诺5个工作日")), 12, T)
    assert s.state is State.DONE
    s = S.transition(s, S.Printed(True, "ok"), 13, T)
    assert s.outcome.print_ok is True
    s = S.transition(s, S.Finish(), 14, T)
    assert s == S.Session()           # wiped: no card, no values, no outcome


def test_form_errors_keep_user_on_form(matter, card):
    s = to_form(matter, card)
    s = S.transition(s, S.SubmitForm({**s.values, "phone": "12345"}), 5, T)
    assert s.state is State.FORM
    assert s.errors["phone"].startswith("请填写11位手机号码")
    assert s.errors["site"] == "请填写设置地点"
    assert s.errors["period"] == "请填写设置期限"
    assert "note" not in s.errors     # optional
    assert s.values["phone"] == "12345"   # what was typed is kept for correction


def test_idle_countdown_then_wipe(matter, card):
    s = run([S.CardRead(card), S.OpenMatters()], t0=100)      # last touch at 101
    assert T.seconds_left(s, 101 + 59) is None                 # no countdown yet
    assert T.seconds_left(s, 101 + 60) == 15
    assert T.seconds_left(s, 101 + 74.2) == 1
    assert S.transition(s, S.Tick(), 101 + 74.9, T).state is State.MATTERS
    assert S.transition(s, S.Tick(), 101 + 75, T) == S.Session()


def test_keep_alive_restarts_the_idle_clock(matter, card):
    s = run([S.CardRead(card), S.OpenMatters()], t0=100)
    s = S.transition(s, S.KeepAlive(), 170, T)                 # 继续办理 during the countdown
    assert s.state is State.MATTERS and T.seconds_left(s, 171) is None
    assert S.transition(S.Session(), S.KeepAlive(), 5, T) == S.Session()   # attract: nothing to keep


def test_done_screen_times_out_sooner(matter, card):
    s = signed(to_review(matter, card))
    s = S.transition(s, S.Submitted(S.Outcome("QY1", False, "x")), 20, T)
    assert S.transition(s, S.Tick(), 49, T).state is State.DONE
    assert S.transition(s, S.Tick(), 50, T).state is State.ATTRACT


def test_submitting_never_times_out_and_ignores_new_card(matter, card):
    s = signed(to_review(matter, card))
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
    assert s.state is State.MATERIALS and s.dispositions == {"m1": "window"}
    s = S.transition(s, S.Back(), 20, T)
    assert s.state is State.FORM and s.values["phone"] == "13912345678"
    s = S.transition(s, S.Back(), 21, T)
    assert s.state is State.GUIDE
    s = S.transition(s, S.Back(), 22, T)
    assert s.state is State.MATTERS
    assert S.transition(s, S.Back(), 23, T).state is State.HOME
    assert S.transition(S.Session(), S.Confirm(), 1, T) == S.Session()   # stale tap on attract


def test_submit_failure_returns_to_review_with_message(matter, card):
    s = signed(to_review(matter, card))
    s = S.transition(s, S.SubmitFailed("申请未被受理"), 12, T)
    assert s.state is State.REVIEW and s.message == "申请未被受理"


def test_guest_reads_guides_then_identifies_in_place(matter, card):
    s = run([S.BrowseAsGuest(), S.ChooseMatter(matter)])
    assert s.state is State.GUIDE and s.card is None
    s = S.transition(s, S.StartApplication(), 5, T)
    assert s.state is State.GUIDE and "身份证" in s.message     # told what to do, not stuck
    s = S.transition(s, S.CardRead(card), 6, T)
    assert s.state is State.GUIDE and s.card is card and s.message == ""
    s = S.transition(s, S.StartApplication(), 7, T)
    assert s.state is State.FORM and s.values["applicant_name"] == card.name


def test_guest_back_from_matters_leaves(matter):
    s = run([S.BrowseAsGuest()])
    assert S.transition(s, S.Back(), 5, T) == S.Session()


def test_legal_person_only_matter_refuses_a_person(matter, card):
    from dataclasses import replace
    only_enterprises = replace(matter, audience=("法人",))
    s = run([S.CardRead(card), S.OpenMatters(), S.ChooseMatter(only_enterprises), S.StartApplication()])
    assert s.state is State.GUIDE and "法人" in s.message


def test_matter_filter_kept_while_browsing(matter, card):
    s = run([S.CardRead(card), S.OpenMatters(), S.FilterMatters("法人", "hwgg")])
    assert (s.audience, s.query) == ("法人", "hwgg")
    s = run([S.ChooseMatter(matter), S.Back()], start=s)
    assert s.state is State.MATTERS and (s.audience, s.query) == ("法人", "hwgg")
    assert S.transition(s, S.FilterMatters("anything", "x" * 100), 50, T).audience == ""
    assert len(S.transition(s, S.FilterMatters("", "x" * 100), 50, T).query) == 20


def test_evaluation_after_result(matter, card):
    s = signed(to_review(matter, card))
    s = S.transition(s, S.Submitted(S.Outcome("QY1", False, "x", key="k1")), 12, T)
    s = S.transition(s, S.Evaluate(), 13, T)
    assert s.state is State.EVALUATE
    assert S.transition(s, S.Rate(0), 14, T).message == "请选择一个评价等级"
    s2 = S.transition(s, S.Rate(1), 14, T)
    assert s2.state is State.EVALUATE and "原因" in s2.message       # 非常不满意 needs a reason
    assert S.transition(s, S.Rate(1, ("办理时间长",)), 15, T).state is State.THANKS
    assert S.transition(s, S.Rate(5), 15, T).state is State.THANKS    # 非常满意: no reason needed
    assert S.transition(s, S.Back(), 15, T).state is State.DONE
    thanks = S.transition(s, S.Rate(4), 15, T)
    assert S.transition(thanks, S.Tick(), 15 + 30, T) == S.Session()  # then the session ends


def test_language_and_elder_mode_last_one_session(matter, card):
    s = run([S.ToggleLanguage(), S.ToggleElder()])
    assert s.state is State.ATTRACT and (s.lang, s.elder) == ("en", True)
    s = S.transition(s, S.CardRead(card), 5, T)
    assert s.state is State.HOME and (s.lang, s.elder) == ("en", True)     # kept for that person
    s = S.transition(s, S.CardRead(make_card("李四")), 6, T)
    assert (s.lang, s.elder) == ("zh", False)                               # not for the next one
    s = run([S.CardRead(card), S.ToggleLanguage(), S.ToggleElder()], start=S.Session())
    assert s.state is State.HOME and (s.lang, s.elder) == ("en", True)
    assert S.transition(s, S.Finish(), 9, T) == S.Session()      # the next person starts in 中文


def test_technician_menu_only_from_attract_and_behind_the_pin(card):
    home = S.transition(S.Session(), S.CardRead(card), 1, T)
    assert S.transition(home, S.OpenTechnician(), 2, T).state is State.HOME   # not in a citizen's visit
    s = S.transition(S.Session(), S.OpenTechnician(), 1, T)
    assert s.state is State.TECH_PIN
    wrong = S.transition(s, S.PinChecked(False), 2, T)
    assert wrong.state is State.TECH_PIN and wrong.message == "PIN 错误"
    menu = S.transition(s, S.PinChecked(True), 2, T)
    assert menu.state is State.TECH
    assert S.transition(menu, S.Back(), 3, T) == S.Session()


def test_sign_asks_again_for_a_missing_or_implausible_signature(matter, card):
    s = S.transition(to_review(matter, card), S.Confirm(), 11, T)
    assert s.state is State.SIGN
    s = S.transition(s, S.Sign(Signature(())), 12, T)                  # 确认 with an empty pad
    assert s.state is State.SIGN and s.message == EMPTY and "signature" not in s.attachments
    s = S.transition(s, S.Sign(Signature((((0.5, 0.5),),))), 13, T)   # a tap is not a name
    assert s.state is State.SIGN and s.message == DOT
    assert S.transition(s, S.Signing(), 14, T).message == ""             # writing again clears it
    s = S.transition(s, S.Sign(SIGNED), 14, T)
    assert s.state is State.SUBMITTING and s.message == "" and s.signature == SIGNED
    png = s.attachments["signature"]
    assert (png.material_id, png.content_type) == ("signature", "image/png") and png.data == SIGNED.to_png()


def test_a_signature_survives_a_failed_submit_but_not_a_change_of_content(matter, card):
    s = signed(to_review(matter, card))
    s = S.transition(s, S.SubmitFailed("申请未被受理"), 12, T)
    assert s.state is State.REVIEW and s.signature == SIGNED and "signature" in s.attachments
    assert S.transition(s, S.Confirm(), 13, T).signature == SIGNED     # shown again on the pad
    s = S.transition(s, S.Back(), 14, T)                                # back to change the materials
    assert s.state is State.MATERIALS and s.signature is None and "signature" not in s.attachments
    s = S.transition(S.transition(to_review(matter, card), S.Confirm(), 11, T), S.Back(), 12, T)
    assert s.state is State.REVIEW                                      # 返回 from the pad


def test_submission_and_wipe_forget_the_signature(matter, card):
    s = S.transition(signed(to_review(matter, card)), S.Submitted(S.Outcome("QY1", False, "x")), 12, T)
    assert s.signature is None and s.attachments == {}
    s = S.transition(signed(to_review(matter, card)), S.SubmitFailed("网络中断"), 12, T)   # back on review, signed
    assert s.signature is not None
    s = S.transition(s, S.CardRead(make_card("李四")), 13, T)                               # the next person's card
    assert s.signature is None and s.attachments == {} and s.state is State.HOME
