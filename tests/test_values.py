from decimal import Decimal

import pytest

from common.values import amount_in_yuan, parse_value, unit_from_label


@pytest.mark.parametrize(
    ("raw", "value", "status", "unit"),
    [
        ("+37", 37, "reported", None),
        ("-164", -164, "reported", None),
        ("--253", -253, "reported", None),
        ("增1423", 1423, "reported", None),
        ("减4", -4, "reported", None),
        ("1（增）", 1, "reported", None),
        ("34（减）", -34, "reported", None),
        ("36462万元", 36462, "reported", "万元"),
        ("202529227.9元", 202529227.9, "reported", "元"),
        ("588项", 588, "reported", "项"),
        ("1,234", 1234, "reported", None),
        ("\u30000", 0, "reported", None),
        ("０１２", 12, "reported", None),
        (" 1 ", 1, "reported", None),
        ("-", None, "placeholder", None),
        ("—", None, "placeholder", None),
        ("/", None, "placeholder", None),
        ("无", None, "placeholder", None),
        ("", None, "blank", None),
        ("\xa0", None, "blank", None),
        ("12,34,5", None, "text", None),
        ("1e308", None, "text", None),
        ("行政许可", None, "text", None),
    ],
)
def test_parse_value(raw, value, status, unit):
    parsed = parse_value(raw)
    assert (parsed.value, parsed.status, parsed.unit) == (value, status, unit)


def test_money_is_normalised_exactly():
    assert amount_in_yuan(parse_value("36462万元").decimal, "万元") == Decimal(364620000)
    assert amount_in_yuan(parse_value("7004.69").decimal, "万元") == Decimal("70046900.00")
    assert amount_in_yuan(parse_value("96171.6").decimal, None) is None
    assert unit_from_label("本年收费金额（单位：万元）") == "万元"
