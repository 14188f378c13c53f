"""The one figures module: every written and spoken form of a figure reads as one value, and what is not a figure
stays text."""

from decimal import Decimal

import pytest

from bot.kernel.figures import (
    Figure,
    figures,
    number,
    same_numbers,
    single_figure,
    to_digits,
)


@pytest.mark.parametrize("words, value", [
    ("320", "320"), ("三百二十", "320"), ("三百二", "320"), ("一千二", "1200"), ("一千零二", "1002"),
    ("一万五", "15000"), ("1.5万", "15000"), ("一点五万", "15000"), ("三千五", "3500"), ("零点五", "0.5"),
    ("二〇二一", "2021"), ("十", "10"), ("两", "2"), ("二十八", "28"), ("一百五十", "150"), ("15,230", "15230"),
])
def test_number_words_and_spoken_short_forms(words, value):
    assert number(words) == Decimal(value)


@pytest.mark.parametrize("words", ["万", "一般", "统一", "3.5.1", "", "千万", "abc"])
def test_not_a_number(words):
    assert number(words) is None


@pytest.mark.parametrize("written, same", [
    ("320户", "三百二十户"), ("320户", "三百二户"), ("1200人", "一千二百人"), ("1200", "一千二"),
    ("15000元", "一万五千元"), ("15000", "一万五"), ("15000", "1.5万"), ("3500元", "三千五块"), ("3500元", "三千五块钱"),
    ("0.5%", "百分之零点五"), ("0.5%", "0.5 %"), ("0.5%", "０.５％"), ("20%", "两成"), ("90%以上", "九成以上"), ("100%", "百分百"), ("100%", "百分之百"),
    ("10月28日", "10月28号"), ("15000", "1万5"), ("56000元", "5万6千元"), ("3500", "3千5"), ("4000元", "4千元"), ("2019年10月至2020年9月", "2019年10月到2020年9月"), ("11月1日至3日", "11月1号到3号"),
])
def test_forms_of_one_figure_read_alike(written, same):
    assert to_digits(same) == to_digits(written)


@pytest.mark.parametrize("text", ["13812345678", "138 1234 5678", "2021年", "q12", "iv.overview.four_areas",
                                  "一般农户", "统一开展", "万一", "千万不要", "十全十美"])
def test_what_must_stay_text(text):
    assert to_digits(text).replace(" ", "") == text.replace(" ", "")


def test_figures_with_units_in_free_text():
    assert figures("全村三百二十户一千二百人，年收入1.5万元") == [
        Figure(Decimal(320), "户"), Figure(Decimal(1200), "人"), Figure(Decimal("1.5"), "万元")]
    assert figures("2021年10月，超过50%", dates=True) == [
        Figure(Decimal(2021), "年"), Figure(Decimal(10), "月"), Figure(Decimal(50), "%")]
    assert figures("2021年10月，超过50%") == []
    assert figures("编号q12") == []


@pytest.mark.parametrize("cell, value, unit", [("320", "320", ""), ("320户", "320", "户"), ("三百二", "320", ""),
                                               ("一千二百人", "1200", "人"), ("58.6万元", "58.6", "万元"), ("58.6万", "58.6", "万"),
                                               ("15,230元", "15230", "元")])
def test_single_figure(cell, value, unit):
    assert single_figure(cell) == Figure(Decimal(value), unit)


@pytest.mark.parametrize("cell", ["约320户左右", "320户1260人", "一千多", "很多"])
def test_not_a_single_figure(cell):
    assert single_figure(cell) is None


def test_units_convert():
    assert Figure(Decimal("1.5"), "万元").in_unit("元") == Decimal(15000)
    assert Figure(Decimal(586000), "元").in_unit("万元") == Decimal("58.6")
    assert Figure(Decimal(320), "人").in_unit("户") is None
    assert Figure(Decimal(320), "家").in_unit("户") == Decimal(320)


def test_same_numbers():
    assert same_numbers("0.50%") == same_numbers("0.5%") == "0.5%"
