"""Normalisation of company names and phones for duplicate control (CUS-8)."""

import pytest

from customers.normalize import (
    company_name_key,
    normalize_company_name,
    normalize_phone,
    normalize_text,
)


@pytest.mark.parametrize(
    ("spelling", "normalized"),
    [
        ("北京华信软件有限公司", "北京华信软件"),
        ("北京华信软件股份有限公司", "北京华信软件"),
        ("北京华信软件有限责任公司", "北京华信软件"),
        ("北京华信软件集团有限公司", "北京华信软件"),
        ("北京华信软件集团", "北京华信软件"),
        ("北京华信软件总公司", "北京华信软件"),
        ("北京 华信软件 有限公司", "北京华信软件"),
        ("北京华信软件（有限公司）", "北京华信软件"),
        ("北京市华信软件有限公司", "北京华信软件"),
        ("华信软件(北京)有限公司", "北京华信软件"),
        ("华信软件（北京市）有限公司", "北京华信软件"),
        ("西门子（中国）有限公司", "西门子"),
        ("西门子(China)有限公司", "西门子"),
        ("ＡＢＣ科技有限公司", "abc科技"),
        ("Acme Co., Ltd.", "acme"),
        ("ACME Company Limited", "acme"),
        ("Acme Group Inc", "acme"),
        ("Siemens AG", "siemens"),
    ],
)
def test_spellings_of_one_company_normalise_alike(spelling, normalized):
    assert normalize_company_name(spelling) == normalized


@pytest.mark.parametrize(
    ("name", "normalized"),
    [
        ("Costco", "costco"),  # "co" is stripped as a word only
        ("Zinc Ltd.", "zinc"),  # "inc" likewise
        ("Cisco Systems", "ciscosystems"),
        ("集团", "集团"),  # never stripped to nothing
        ("有限公司", "有限"),
        ("", ""),
    ],
)
def test_suffixes_are_stripped_as_words_and_never_to_nothing(name, normalized):
    assert normalize_company_name(name) == normalized


def test_a_branch_is_not_merged_into_its_parent():
    parent = normalize_company_name("华信软件有限公司")
    branch = normalize_company_name("华信软件有限公司上海分公司")

    assert parent == "华信软件"
    assert branch == "华信软件有限公司上海分公司"
    assert branch != parent


def test_brackets_that_are_not_places_stay_as_words():
    assert normalize_company_name("华信(国际)贸易有限公司") == "华信国际贸易"


@pytest.mark.parametrize(
    ("normalized", "key"),
    [
        ("北京华信软件", "华信"),
        ("华信软件", "华信"),
        ("黑龙江华信", "华信"),
        ("北京", "北京"),  # nothing after the place: the place is the key
        ("北京华", "北京"),
        ("acme", "ac"),
        ("", ""),
    ],
)
def test_blocking_key_skips_a_leading_place(normalized, key):
    assert company_name_key(normalized) == key


def test_spellings_share_one_blocking_key():
    keys = {
        company_name_key(normalize_company_name(name))
        for name in ("上海市华信软件有限公司", "华信软件(上海)有限公司", "华信软件技术有限公司")
    }
    assert keys == {"华信"}


def test_normalize_text_drops_case_spaces_punctuation_and_symbols():
    assert normalize_text(" Ａ-b_c. ＆ 中文！") == "abc中文"


@pytest.mark.parametrize(
    ("phone", "normalized"),
    [
        ("13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("0086 13800138000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("１３８００１３８０００", "13800138000"),  # full-width digits
        ("010-12345678", "01012345678"),
        ("(010) 1234 5678", "01012345678"),
        ("+86 10 12345678", "01012345678"),
        ("+86 (0)21 6123 4567", "02161234567"),
        ("0086-21-61234567", "02161234567"),
        ("21-61234567", "02161234567"),  # area code without the trunk 0
        ("61234567", "61234567"),  # local number: nothing to add
        ("", ""),
        ("n/a", ""),
    ],
)
def test_phones_normalise_to_one_form(phone, normalized):
    assert normalize_phone(phone) == normalized
