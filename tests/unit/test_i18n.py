"""Every UI string a screen can show has an English entry in screens/i18n.py: the screens' own
texts, and every message the core or a driver can put on a screen -- collected by reading the
sources for message constants and Msg templates, and by running validate() and classify() over
bad input of every kind."""
import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from drivers.idcard.ga467 import SW3_INFO, Sw3Kind
from drivers.printer import escpos_printer
from kiosk.domain import form, payload
from kiosk.domain.catalogue import FormField
from kiosk.domain.form import validate
from kiosk.domain.message import Msg
from kiosk.domain.scan_hint import ScanHint
from screens.i18n import EN, tr
from screens.status_text import _PRINTER

ROOT = Path(__file__).resolve().parents[2]


def kv_keys():
    for p in (ROOT / "screens").glob("*.kv"):
        text = p.read_text("utf-8")
        for m in re.finditer(r"app\.tr\('((?:[^'\\]|\\.)*)'", text):
            yield p.name, m.group(1).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
        # a kv text with hanzi that bypasses the catalogue is a bug
        for m in re.finditer(r"text: '([^'\n]*[\u4e00-\u9fff][^'\n]*)'", text):
            yield p.name, "UNTRANSLATED: " + m.group(1)


def py_keys():
    for p in (ROOT / "screens").glob("*.py"):
        for node in ast.walk(ast.parse(p.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "tr" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    yield p.name, arg.value
                elif isinstance(arg, ast.IfExp):
                    yield from ((p.name, c.value) for c in (arg.body, arg.orelse) if isinstance(c, ast.Constant))


def session_messages():
    found = []
    for p in sorted((ROOT / "kiosk" / "session").glob("*.py")):      # the state machine's package
        found += [(p.name, m) for m in re.findall(r'message="([^"]+)"', p.read_text("utf-8"))]
    return found


def controller_messages():
    """Plain string constants with hanzi in the controller and its use cases (messages they put
    on screen)."""
    found = []
    for p in [ROOT / "kiosk" / "controller.py", *sorted((ROOT / "kiosk" / "usecases").glob("*.py"))]:
        tree = ast.parse(p.read_text("utf-8"))
        skip = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.JoinedStr, ast.Expr)):        # f-strings and docstrings
                skip.update(id(n) for n in ast.walk(node))
        found += [(p.name, n.value) for n in ast.walk(tree)
                  if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip
                  and re.search(r"[\u4e00-\u9fff]", n.value)]
    return found


def test_every_ui_string_has_english():
    keys = list(kv_keys()) + list(py_keys()) + session_messages() + controller_messages()
    keys += [("status_text.py", v) for v in _PRINTER.values()]
    keys += [("scan_hint.py", h.text) for h in ScanHint]
    assert len(keys) > 60
    missing = [(f, k) for f, k in keys if k and k not in EN]
    assert missing == []


def test_tr_falls_back_to_chinese_and_formats():
    assert tr("返回", "en") == "Back" and tr("返回", "zh") == "返回"
    assert tr("户外广告设施设置审批", "en") == "户外广告设施设置审批"   # hall content stays as written
    assert tr("{n} 秒后将自动退出，并清除您的信息", "en").format(n=5) == "Logging out and clearing your data in 5 s"


# -- messages with values (kiosk.domain.message.Msg) ------------------------------------------

HANZI = re.compile(r"[\u4e00-\u9fff]")


def msg_templates():
    """The template of every Msg(...) the core and the drivers make, read from the sources. A
    template must be a literal or a module constant bound to one: otherwise no test can see it."""
    for path in [*(ROOT / "kiosk").rglob("*.py"), *(ROOT / "drivers").rglob("*.py")]:
        if path.name == "message.py":          # Msg itself (it rebuilds one from a key when unpickled)
            continue
        tree = ast.parse(path.read_text("utf-8"))
        consts = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                  and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                  for t in n.targets if isinstance(t, ast.Name)}
        for n in ast.walk(tree):
            if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Msg" and n.args:
                arg = n.args[0]
                if isinstance(arg, ast.Constant):
                    yield path.name, arg.value
                elif isinstance(arg, ast.Name) and arg.id in consts:
                    yield path.name, consts[arg.id]
                else:
                    yield path.name, f"UNREADABLE TEMPLATE at line {n.lineno}: {ast.unparse(arg)}"


def test_every_msg_template_has_english_with_the_same_placeholders():
    found = list(msg_templates())
    assert len(found) >= 20
    missing = [(f, k) for f, k in found if k not in EN]
    assert missing == []
    names = lambda t: sorted(re.findall(r"{(\w+)}", t))        # noqa: E731
    assert [(k, EN[k]) for _, k in found if names(k) != names(EN[k])] == []
    assert [(k, EN[k]) for _, k in found if HANZI.search(EN[k])] == []


def test_msg_is_its_chinese_text_and_tr_fills_the_english_template():
    m = Msg("{label}最多{n}个字", label="联系电话", n=13)
    assert m == "联系电话最多13个字" and isinstance(m, str)
    assert tr(m, "zh") == "联系电话最多13个字"
    assert tr(m, "en") == "联系电话: at most 13 characters"      # the hall's label stays as written
    assert tr(Msg("还没有这个模板{x}", x=1), "en") == "还没有这个模板1"   # no entry: Chinese, not a crash
    nested = Msg("申请未被受理：{detail}。请核对后重试，或咨询工作人员。", detail=Msg("打印机忙，请稍后再试"))
    assert tr(nested, "en") == ("The application was not accepted: The printer is busy. Please try again in a "
                                "moment.. Please check it and try again, or ask the staff.")
    import copy
    import pickle
    for clone in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        assert clone == m and tr(clone, "en") == tr(m, "en")


# A form with a field of every type and bad values for each: validate() must give only Msgs with
# English, and between them every message form.py can give.
FIELDS = [
    FormField("name", "名称", "text", max_length=4),
    FormField("addr", "地址", "address"),
    FormField("count", "数量", "number"),
    FormField("phone", "电话", "phone"),
    FormField("idno", "身份证号", "id_number"),
    FormField("code", "信用代码", "uscc"),
    FormField("day", "日期", "date"),
    FormField("kind", "类别", "choice", choices=("甲", "乙")),
    FormField("plate", "车牌", "text", pattern=r"[A-Z]\d{5}"),
    FormField("plate2", "编号", "text", pattern=r"\d+", hint="编号只含数字"),
]
BAD = {
    "name": ["", "五个汉字啊", "a\x01b"], "addr": ["", "路" * 121], "count": ["", "十二", "1.2.3"],
    "phone": ["", "1391234567", "abc"],
    "idno": ["", "32010219900307", "3201021990030712A3", "320102199003071233"],
    "code": ["", "9132010", "91320102MA1XXXXX0I", "91320102MA1XXXXX0U", "9132010AMA1XXXXX0T"],
    "day": ["", "2026/01/31", "20260131", "2026-02-30"], "kind": ["", "丙"],
    "plate": ["", "abc"], "plate2": ["x"],
}


def form_errors():
    matter = SimpleNamespace(form=tuple(FIELDS))
    for i in range(max(len(v) for v in BAD.values())):
        values = {name: vals[i] for name, vals in BAD.items() if i < len(vals)}
        for name, message in validate(matter, values).items():
            yield name, values.get(name, ""), message


def test_every_form_error_is_shown_in_english():
    errors = list(form_errors())
    seen = {m.key for _, _, m in errors if isinstance(m, Msg)}
    assert seen == set(form.MESSAGES)                 # the bad inputs reach every message form.py has
    for name, value, message in errors:
        if message == "编号只含数字":                  # the hall's own hint: hall content, as written
            continue
        assert isinstance(message, Msg), (name, value, message)
        english = tr(message, "en")
        label = next(f.label for f in FIELDS if f.name == name)
        assert not HANZI.search(english.replace(label, "").replace(value or "\0", "")), (name, value, english)


def test_form_errors_say_which_rule_a_code_breaks():
    matter = SimpleNamespace(form=(FormField("code", "信用代码", "uscc"), FormField("idno", "身份证号", "id_number"),
                                   FormField("day", "日期", "date")))
    errors = validate(matter, {"code": "91320102MA1XXXXX0U", "idno": "32010219900307", "day": "2026-02-30"})
    assert tr(errors["code"], "en").startswith("The unified social credit code's check character does not match")
    assert errors["idno"] == "身份证号码应为18位，现在是14位"
    assert tr(errors["idno"], "en") == "An ID number has 18 characters; this one has 14"
    assert tr(errors["day"], "en") == "There is no date 2026-02-30: please check it"
    ok = validate(matter, {"code": "91320102ma1xxxxx0t", "idno": "320102199003071231", "day": "2026-01-31"})
    assert "code" not in ok and "day" not in ok


@pytest.mark.parametrize("raw", [b"91320102MA1XXXXX0T", b"https://www.gsxt.gov.cn/%7BABC%7D",
                                 b"hello world", b"\xff\xfe\x00\x01binary", "\u202e反转".encode(),
                                 b"91320102MA1XXXXX0U"])
def test_scanned_code_messages_are_shown_in_english(raw):
    code = payload.scan_result(raw)
    message = code.payload.message
    assert isinstance(message, Msg) and message.key in payload.MESSAGES
    english = tr(message, "en")
    assert not HANZI.search(english.replace(code.payload.preview, "")), english


def test_a_receipt_and_an_appointment_code_are_said_in_english():
    import datetime as dt
    from kiosk.domain.application_no import make_application_no
    for raw in (make_application_no(dt.date(2026, 11, 28), 7), payload.make_appointment_no(dt.date(2026, 11, 28), 3)):
        message = payload.scan_result(raw.encode()).payload.message
        assert raw in tr(message, "en") and not HANZI.search(tr(message, "en"))


def test_device_and_card_messages_a_screen_can_show_have_english():
    shown = [*escpos_printer.MESSAGES.values(), escpos_printer.UNCONFIRMED, escpos_printer.ALREADY_PRINTED]
    shown += [info.message for info in SW3_INFO.values() if info.kind is Sw3Kind.CARD]   # -> CardProblem
    reader = ast.parse((ROOT / "drivers" / "idcard" / "reader.py").read_text("utf-8"))
    shown += [n.args[1].value for n in ast.walk(reader) if isinstance(n, ast.Call)
              and getattr(n.func, "id", "") == "CardError" and len(n.args) > 1 and isinstance(n.args[1], ast.Constant)]
    assert len(shown) >= 15
    assert [m for m in shown if m not in EN] == []


# Hanzi constants in screens/*.py that are not shown to the user (compared, or never drawn).
NOT_SHOWN = {"个人", "法人",            # audience codes the matter filter compares
             "失信",                    # picks the colour of a credit section, the title is the hall's
             "便民服务自助终端"}          # the window title: a full-screen kiosk has no title bar


def test_no_hanzi_constant_in_a_screen_bypasses_the_catalogue():
    """A Chinese string in a screen's Python is either a catalogue key or known not to be shown.
    (autopilot.py drives the app, devdock.py is the demo's developer dock: neither is the UI.)"""
    bad = []
    for p in (ROOT / "screens").glob("*.py"):
        if p.name in ("i18n.py", "autopilot.py", "devdock.py"):
            continue
        tree = ast.parse(p.read_text("utf-8"))
        skip = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                skip.update(id(n) for n in ast.walk(node))     # f-strings are checked by their tr() parts
        bad += [(p.name, n.lineno, n.value) for n in ast.walk(tree)
                if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in skip
                and HANZI.search(n.value) and n.value not in EN and n.value not in NOT_SHOWN]
    assert bad == []
