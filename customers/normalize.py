"""Normalisation for duplicate control (CUS-8) of company names and phones.

Two spellings of one company should normalise to the same string:
full-width and half-width forms (NFKC), case, spaces and punctuation, and
the common legal suffixes (有限公司, 股份有限公司, 集团 …, "(中国)") are
ignored. A branch (分公司) is a different customer from its parent, so
suffixes are only stripped at the very end and 分公司 is never stripped.

Latin suffixes (Ltd, Co, Inc …) are only stripped as whole words, before
spaces are dropped: "Costco" and "Zinc" keep their endings. A place in
brackets ("华信软件(上海)有限公司") is moved to the front, where Chinese
names usually carry it ("上海华信软件").
"""

from __future__ import annotations

import re
import unicodedata

#: Stripped from the end, repeatedly, longest first ("集团有限公司" → "").
COMPANY_SUFFIXES = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "股份公司",
        "集团公司",
        "集团",
        "总公司",
        "公司",
    ],
    key=len,
    reverse=True,
)
#: Latin legal forms, stripped from the end as whole words ("Acme Co., Ltd." → "acme").
LATIN_SUFFIXES = re.compile(
    r"(?:[\s,.&]+|^)(?:co|ltd|limited|inc|incorporated|corp|corporation|company|group"
    r"|llc|gmbh|plc|ag|sa)\.?\s*$",
    re.IGNORECASE,
)
COUNTRY_MARKERS = re.compile(r"[(（]\s*(中国|china|prc)\s*[)）]", re.IGNORECASE)
#: Leading place names skipped by the blocking key (a city says little about a company).
PLACE_PREFIXES = sorted(
    [
        "北京",
        "上海",
        "天津",
        "重庆",
        "广州",
        "深圳",
        "杭州",
        "南京",
        "苏州",
        "武汉",
        "成都",
        "西安",
        "沈阳",
        "青岛",
        "宁波",
        "无锡",
        "厦门",
        "长沙",
        "郑州",
        "合肥",
        "济南",
        "福州",
        "大连",
        "昆明",
        "东莞",
        "佛山",
        "常州",
        "南通",
        "温州",
        "哈尔滨",
        "广东",
        "江苏",
        "浙江",
        "山东",
        "河南",
        "河北",
        "湖北",
        "湖南",
        "四川",
        "福建",
        "安徽",
        "辽宁",
        "陕西",
        "江西",
        "广西",
        "云南",
        "山西",
        "贵州",
        "吉林",
        "黑龙江",
        "中国",
        "华东",
        "华南",
        "华北",
        "华中",
        "西南",
        "西北",
        "东北",
    ],
    key=len,
    reverse=True,
)
BRANCH_MARKER = "分公司"
#: After a leading place name, an administrative word ("上海市", "广东省") says nothing.
PLACE_WORDS = ("市", "省")
BRACKETED = re.compile(r"[(（]\s*([^()（）]*?)\s*[)）]")


def normalize_text(value: str) -> str:
    """NFKC, lower case, without spaces, punctuation and symbols."""
    text = unicodedata.normalize("NFKC", value or "").lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def _strip_latin_suffixes(text: str) -> str:
    while True:
        stripped = LATIN_SUFFIXES.sub("", text).rstrip(" ,.&")
        if stripped == text or not stripped:
            return text
        text = stripped


def _move_bracketed_place(text: str) -> str:
    """ "华信软件(上海)有限公司" → "上海华信软件有限公司"; other brackets stay as words."""
    for match in BRACKETED.finditer(text):
        place = match.group(1)
        if place in PLACE_PREFIXES or place.rstrip("".join(PLACE_WORDS)) in PLACE_PREFIXES:
            rest = text[: match.start()] + text[match.end() :]
            return place + rest
    return text


def _drop_place_word(text: str) -> str:
    """ "上海市华信" → "上海华信": the city is named either way."""
    for place in PLACE_PREFIXES:
        if text.startswith(place):
            rest = text[len(place) :]
            if rest[:1] in PLACE_WORDS and len(rest) > 1:
                return place + rest[1:]
            return text
    return text


def normalize_company_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "").strip()
    text = COUNTRY_MARKERS.sub("", text)
    text = _move_bracketed_place(text)
    text = _strip_latin_suffixes(text)
    text = _drop_place_word(normalize_text(text))
    stripped = True
    while stripped and not text.endswith(BRANCH_MARKER):
        stripped = False
        for suffix in COMPANY_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)]
                stripped = True
                break
    return text


def company_name_key(normalized_name: str) -> str:
    """Blocking key for fuzzy matching: the first two characters after a
    leading place name. Similar names share it, so a fuzzy check compares a
    new name with a few hundred candidates, not with every customer."""
    text = normalized_name
    for place in PLACE_PREFIXES:
        if text.startswith(place) and len(text) > len(place) + 1:
            text = text[len(place) :]
            break
    return text[:2]


def normalize_phone(value: str) -> str:
    """Digits only; +86/0086 dropped; area codes keep their leading 0."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value or ""))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return digits  # a mobile number
    if digits and not digits.startswith("0") and 9 <= len(digits) <= 11:
        digits = "0" + digits  # landline written without the trunk prefix
    return digits
