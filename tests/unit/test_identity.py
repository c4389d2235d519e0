import datetime as dt

from kiosk.domain.identity import IdentityCard, is_valid_id_number, mask_id_number, mask_name


def test_gb11643_check_digit():
    assert is_valid_id_number("11010519491231002X")
    assert is_valid_id_number("11010519491231002x")
    assert not is_valid_id_number("11010519491231003X")   # one digit changed
    assert not is_valid_id_number("1101051949123100")
    assert not is_valid_id_number("1101051949123100AX")


def test_hk_macao_taiwan_residence_numbers_checked_by_digit_only():
    # 81/82/83 numbers: python-stdnum's region table may reject them; the check digit decides.
    from kiosk.domain.identity import ric_check_symbol
    for first17 in ("81000019900101001", "82000019900101001", "83000019900101001"):
        assert is_valid_id_number(first17 + ric_check_symbol(first17))


def test_masking():
    assert mask_id_number("32010219900307123X") == "3201**********123X"
    assert mask_name("张三") == "张*"
    assert mask_name("张小三") == "张*三"
    assert mask_name("欧阳小明") == "欧**明"


def test_repr_never_shows_personal_data():
    card = IdentityCard("张小三", "男", "汉", dt.date(1990, 3, 7), "江苏省南京市玄武区中山路1号",
                        "32010219900307123X", "南京市公安局", dt.date(2020, 1, 1), None)
    text = repr(card) + str(card) + f"{card}"
    assert "张小三" not in text and "32010219900307123X" not in text and "中山路" not in text
    assert not card.is_expired(dt.date(2099, 1, 1))   # 长期
