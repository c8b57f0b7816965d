"""The zh_Hans catalogues are complete, compiled and in step with the sources.

Two catalogues, both in LOCALE_PATHS (the first wins on conflicts):

* ``locale/``: the project's own, extracted from our sources by makemessages;
* ``locale_vendor/``: kept by hand, the third-party UI strings (django-viewflow
  ships an empty zh_Hans catalogue). It must cover every msgid of viewflow's.

No database: the catalogues are read with a small .po parser (polib is not a
dependency), the .mo with :mod:`gettext`, and the sources are re-extracted
with Django's ``makemessages`` in a temporary copy of the project.

To fix a failure in ``locale/``: ``make messages`` (makemessages +
compilemessages), then translate what is empty or fuzzy in
``locale/zh_Hans/LC_MESSAGES/django.po`` and compile again. In
``locale_vendor/``: edit its django.po by hand, then ``msgfmt --check -o
locale_vendor/zh_Hans/LC_MESSAGES/django.mo locale_vendor/zh_Hans/LC_MESSAGES/django.po``.
"""

from __future__ import annotations

import gettext
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCALE = "zh_Hans"
PO_PATH = ROOT / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
MO_PATH = PO_PATH.with_suffix(".mo")
VENDOR_PO_PATH = ROOT / "locale_vendor" / LOCALE / "LC_MESSAGES" / "django.po"
NPLURALS = 1  # Chinese has one plural form: "nplurals=1; plural=0;"
# What makemessages scans: every top-level app package (one with an apps.py),
# so a new app cannot escape the check, plus these.
SOURCE_FILES = ["templates", "manage.py"]


# --- A small .po parser ---------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)

    def __str__(self) -> str:
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return f"line {self.line}: {context}{self.msgid!r}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    '"': '"',
    "\\": "\\",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
}


def _unquote(quoted: str) -> str:
    body = quoted.strip()
    if len(body) < 2 or body[0] != '"' or body[-1] != '"':
        raise ValueError(f"not a quoted PO string: {quoted!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), body[1:-1])


def parse_po(text: str) -> list[Entry]:
    """Every entry of a .po file (the header included, obsolete ``#~`` ones not)."""
    entries: list[Entry] = []
    fields: dict[str, list[str]] = {}  # "msgctxt", "msgid", "msgstr", "msgstr[0]", ...
    flags: set[str] = set()
    msgid_line = 0
    last: str | None = None

    def flush() -> None:
        nonlocal fields, flags, last
        if "msgid" in fields:
            joined = {name: "".join(parts) for name, parts in fields.items()}
            entries.append(
                Entry(
                    msgid=joined["msgid"],
                    msgctxt=joined.get("msgctxt"),
                    msgid_plural=joined.get("msgid_plural"),
                    msgstr=joined.get("msgstr", ""),
                    msgstr_plural={
                        int(name[7:-1]): value
                        for name, value in joined.items()
                        if name.startswith("msgstr[")
                    },
                    flags=flags,
                    line=msgid_line,
                )
            )
        elif fields:
            raise ValueError(f"entry without msgid before line {msgid_line or '?'}: {fields}")
        fields, flags, last = {}, set(), None  # flags of an obsolete entry are dropped

    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        has_msgstr = any(name.startswith("msgstr") for name in fields)
        if not line:
            flush()
        elif line.startswith("#"):
            if has_msgstr:
                flush()  # a comment right after an entry starts the next one
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            # other comments (#:, #., #|, #~ obsolete, "# ") carry nothing checked here
        elif match := _KEYWORD.match(line):
            name = match.group(1)
            if name in ("msgctxt", "msgid") and has_msgstr:
                flush()  # entries not separated by a blank line
            if name in fields:
                raise ValueError(f"line {number}: duplicate {name}")
            if name == "msgid":
                msgid_line = number
            fields[name] = [_unquote(match.group(3))]
            last = name
        elif line.startswith('"') and last is not None:
            fields[last].append(_unquote(line))
        else:
            raise ValueError(f"line {number}: cannot parse {raw!r}")
    flush()
    return entries


def messages(entries: list[Entry]) -> list[Entry]:
    """The entries without the header (the one with an empty msgid and no context)."""
    return [e for e in entries if not (e.msgid == "" and e.msgctxt is None)]


def header(entries: list[Entry]) -> dict[str, str]:
    """The header entry's ``Name: value`` lines as a dict."""
    for entry in entries:
        if entry.msgid == "" and entry.msgctxt is None:
            pairs = (line.split(":", 1) for line in entry.msgstr.splitlines() if ":" in line)
            return {name.strip(): value.strip() for name, value in pairs}
    return {}


def untranslated_or_fuzzy(entries: list[Entry], nplurals: int = NPLURALS) -> list[str]:
    """One line per problem entry: fuzzy, empty msgstr, or wrong plural forms."""
    problems = []
    for entry in messages(entries):
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry}")
        if entry.msgid_plural is None:
            if not entry.msgstr:
                problems.append(f"untranslated: {entry}")
            continue
        forms = entry.msgstr_plural
        if sorted(forms) != list(range(nplurals)):
            problems.append(f"plural forms {sorted(forms)} instead of 0..{nplurals - 1}: {entry}")
        empty = [n for n, text in sorted(forms.items()) if not text]
        if empty or not forms:
            problems.append(f"untranslated msgstr{empty or '[0]'}: {entry}")
    return problems


_PLACEHOLDERS = {
    "python-format": re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[sdifrxXeEgGc%]"),
    "python-brace-format": re.compile(r"\{\{|\}\}|\{[^{}]*\}"),  # "{obj}", "{}", "{a.b}"
}
_LITERALS = {"%%", "{{", "}}"}  # escaped "%", "{" and "}"


def _placeholders(text: str, flags: set[str]) -> list[str]:
    """The placeholders of ``text`` for the format flags of its entry, sorted."""
    kinds = [pattern for flag, pattern in _PLACEHOLDERS.items() if flag in flags]
    return sorted(p for kind in kinds for p in kind.findall(text) if p not in _LITERALS)


def placeholder_mismatches(entries: list[Entry]) -> list[str]:
    """Format-string entries whose translation drops, adds or renames a placeholder.

    Template variables (``{{ name }}`` in blocktranslate) are ``%(name)s`` here.
    The one Chinese plural form serves every count, so it must carry the
    placeholders of the plural msgid.
    """
    problems = []
    for entry in messages(entries):
        if not entry.flags & _PLACEHOLDERS.keys():
            continue  # a literal "%" or "{" in plain text is no placeholder
        source = entry.msgid_plural if entry.msgid_plural is not None else entry.msgid
        wanted = _placeholders(source, entry.flags)
        translations = list(entry.msgstr_plural.values()) or [entry.msgstr]
        for text in filter(None, translations):
            found = _placeholders(text, entry.flags)
            if found != wanted:
                problems.append(f"{entry}: placeholders {found} instead of {wanted}")
    return problems


def mo_mismatches(entries: list[Entry], catalog: gettext.GNUTranslations) -> list[str]:
    """Entries whose compiled translation differs from the .po."""
    problems = []
    raw = catalog._catalog  # the key exists only if the message was compiled
    for entry in messages(entries):
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = catalog.gettext(entry.msgid)
            else:
                got = catalog.pgettext(entry.msgctxt, entry.msgid)
            if key not in raw or got != entry.msgstr:
                problems.append(f"{entry}: .mo has {got!r}, .po has {entry.msgstr!r}")
            continue
        for n in (0, 1, 2, 5, 11, 21, 101):
            index = catalog.plural(n)
            expected = entry.msgstr_plural.get(index)
            if entry.msgctxt is None:
                got = catalog.ngettext(entry.msgid, entry.msgid_plural, n)
            else:
                got = catalog.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
            if (key, index) not in raw or got != expected:
                problems.append(f"{entry} (n={n}): .mo has {got!r}, .po has {expected!r}")
                break
    return problems


def describe(key: tuple[str | None, str, str | None]) -> str:
    context, msgid, plural = key
    text = repr(msgid) + (f" / plural {plural!r}" if plural is not None else "")
    return f"[{context}] {text}" if context is not None else text


def viewflow_po_path() -> Path:
    """django-viewflow's bundled zh_Hans catalogue (found without importing viewflow)."""
    spec = importlib.util.find_spec("viewflow")
    assert spec is not None and spec.submodule_search_locations, "viewflow is not installed"
    package = Path(next(iter(spec.submodule_search_locations)))
    return package / "locale" / LOCALE / "LC_MESSAGES" / "django.po"


# --- The checks on the real catalogues ---------------------------------------


@dataclass
class Catalogue:
    po_path: Path
    entries: list[Entry]
    how_to_compile: str

    @property
    def name(self) -> Path:
        return self.po_path.relative_to(ROOT)

    @property
    def mo_path(self) -> Path:
        return self.po_path.with_suffix(".mo")


CATALOGUES = {
    "locale": (PO_PATH, "`make messages`, or `manage.py compilemessages --locale zh_Hans`"),
    "locale_vendor": (
        VENDOR_PO_PATH,
        f"`msgfmt --check -o {VENDOR_PO_PATH.with_suffix('.mo').relative_to(ROOT)} "
        f"{VENDOR_PO_PATH.relative_to(ROOT)}`",
    ),
}


def read_catalogue(name: str) -> Catalogue:
    po_path, how_to_compile = CATALOGUES[name]
    assert po_path.is_file(), f"{po_path} is missing"
    return Catalogue(po_path, parse_po(po_path.read_text(encoding="utf-8")), how_to_compile)


@pytest.fixture(scope="module", params=sorted(CATALOGUES))
def catalogue(request) -> Catalogue:
    """Each catalogue in turn: the checks below run for both."""
    return read_catalogue(request.param)


@pytest.fixture(scope="module")
def po_entries() -> list[Entry]:
    """The project's own catalogue, the one makemessages fills."""
    return read_catalogue("locale").entries


def test_header_declares_chinese_utf8_and_one_plural_form(catalogue):
    fields = header(catalogue.entries)
    assert fields.get("Language") == LOCALE
    assert fields.get("Content-Type") == "text/plain; charset=UTF-8"
    assert fields.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert "fuzzy" not in next(e for e in catalogue.entries if e.msgid == "").flags


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    assert messages(catalogue.entries), f"{catalogue.name} has no messages"
    problems = untranslated_or_fuzzy(catalogue.entries)
    assert problems == [], (
        f"{len(problems)} entries of {catalogue.name} need a translation "
        "(remove the fuzzy flag once checked):\n  " + "\n  ".join(problems)
    )


def test_translations_keep_the_placeholders(catalogue):
    problems = placeholder_mismatches(catalogue.entries)
    assert problems == [], (
        f"translations in {catalogue.name} change placeholders:\n  " + "\n  ".join(problems)
    )


def test_compiled_catalogue_matches_the_po(catalogue):
    mo_path = catalogue.mo_path
    assert mo_path.is_file(), f"{mo_path} is missing; run {catalogue.how_to_compile}"
    with mo_path.open("rb") as fp:
        catalog = gettext.GNUTranslations(fp)
    problems = mo_mismatches(catalogue.entries, catalog)
    assert problems == [], (
        f"{mo_path.relative_to(ROOT)} is out of date; run {catalogue.how_to_compile}:\n  "
        + "\n  ".join(problems)
    )


def test_vendor_catalogue_covers_viewflows_catalogue():
    """A viewflow upgrade that adds strings fails here until they are translated."""
    viewflow_po = viewflow_po_path()
    assert viewflow_po.is_file(), (
        f"viewflow no longer ships {viewflow_po}; compare {VENDOR_PO_PATH.relative_to(ROOT)} "
        "with its templates and code by hand and update this test"
    )
    wanted = {e.key for e in messages(parse_po(viewflow_po.read_text(encoding="utf-8")))}
    assert wanted, f"{viewflow_po} has no messages"
    known = {e.key for e in messages(read_catalogue("locale_vendor").entries)}
    missing = sorted(wanted - known, key=lambda k: (k[0] or "", k[1], k[2] or ""))
    assert missing == [], (
        f"{len(missing)} messages of {viewflow_po} are not in "
        f"{VENDOR_PO_PATH.relative_to(ROOT)}; add and translate them, then compile:\n  "
        + "\n  ".join(map(describe, missing))
    )


def test_every_message_in_the_sources_is_in_the_po(po_entries, tmp_path):
    if shutil.which("xgettext") is None:
        pytest.skip("xgettext (GNU gettext) is not on PATH; cannot extract messages")

    packages = {p.parent.name for p in ROOT.glob("*/apps.py")}
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "locale")
    for name in sorted(packages):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    for name in SOURCE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=ignore)
        else:
            shutil.copy2(source, tmp_path / name)
    (tmp_path / "locale").mkdir()

    env = {**os.environ, "DJANGO_DEBUG": "true"}
    # makemessages never connects to the database; a placeholder URL keeps the
    # settings from starting an embedded PostgreSQL inside the temporary copy.
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/unused_by_makemessages")
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", LOCALE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    extracted_po = tmp_path / "locale" / LOCALE / "LC_MESSAGES" / "django.po"
    assert extracted_po.is_file(), f"makemessages wrote no catalogue:\n{result.stderr}"

    extracted = {e.key for e in messages(parse_po(extracted_po.read_text(encoding="utf-8")))}
    known = {e.key for e in messages(po_entries)}
    missing = sorted(extracted - known, key=lambda k: (k[0] or "", k[1], k[2] or ""))
    assert missing == [], (
        f"{len(missing)} messages of the sources are not in {PO_PATH.relative_to(ROOT)}; "
        "run `make messages` and translate them:\n  " + "\n  ".join(map(describe, missing))
    )


# --- Self-tests of the helpers above ---------------------------------------------

SAMPLE_PO = r"""# A comment
#, fuzzy
msgid ""
msgstr ""
"Language: zh_Hans\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#: a.py:1
msgid "Done"
msgstr "完成"

#: a.py:2
#, python-format
msgid ""
"A long message with %(name)s and a \"quote\" "
"over two lines"
msgstr ""
"一条包含 %(name)s 和“引号”的"
"长消息"

msgctxt "industry"
msgid "Finance"
msgstr "金融"

#, fuzzy, python-format
#| msgid "Old %(n)s"
msgid "Guessed %(n)s"
msgstr "猜测 %(n)s"

msgid "Empty"
msgstr ""

msgid "100% sure"
msgstr "百分之百确定"

msgid "%(count)s day"
msgid_plural "%(count)s days"
msgstr[0] "%(count)s 天"

msgctxt "tasks"
msgid "One task"
msgid_plural "Many tasks"
msgstr[0] ""
#, python-format
msgid "Lost placeholder %(x)s"
msgstr "丢失占位符"

#~ msgid "Obsolete"
#~ msgstr "过时"
"""


def test_parser_reads_multiline_strings_contexts_plurals_and_flags():
    entries = parse_po(SAMPLE_PO)
    assert header(entries) == {"Language": "zh_Hans", "Plural-Forms": "nplurals=1; plural=0;"}
    by_id = {e.msgid: e for e in messages(entries)}
    assert list(by_id) == [
        "Done",
        'A long message with %(name)s and a "quote" over two lines',
        "Finance",
        "Guessed %(n)s",
        "Empty",
        "100% sure",
        "%(count)s day",
        "One task",
        "Lost placeholder %(x)s",
    ]
    long = by_id['A long message with %(name)s and a "quote" over two lines']
    assert long.msgstr == "一条包含 %(name)s 和“引号”的长消息"
    assert long.flags == {"python-format"}
    assert long.line == 14
    assert by_id["Finance"].key == ("industry", "Finance", None)
    assert by_id["Guessed %(n)s"].flags == {"fuzzy", "python-format"}
    assert by_id["%(count)s day"].msgstr_plural == {0: "%(count)s 天"}
    assert by_id["One task"].key == ("tasks", "One task", "Many tasks")


def test_parser_self_check_finds_untranslated_fuzzy_and_placeholder_problems():
    entries = parse_po(SAMPLE_PO)
    problems = untranslated_or_fuzzy(entries)
    kinds = [problem.split(":")[0] for problem in problems]
    assert kinds == ["fuzzy", "untranslated", "untranslated msgstr[0]"]
    assert "'Guessed %(n)s'" in problems[0]
    assert "'Empty'" in problems[1]
    assert "[tasks] 'One task'" in problems[2]
    assert untranslated_or_fuzzy(
        parse_po('msgid "a"\nmsgid_plural "b"\nmsgstr[0] "x"\nmsgstr[1] "y"\n')
    ) == ["plural forms [0, 1] instead of 0..0: line 1: 'a'"]
    mismatches = placeholder_mismatches(entries)
    assert len(mismatches) == 1 and "Lost placeholder" in mismatches[0]


def test_placeholder_check_knows_brace_formats_and_the_plural_msgid():
    entries = parse_po(
        r"""#, python-brace-format
msgid "The {obj} was added. {link}"
msgstr "{obj} 已新增。{{链接}}"

#, python-brace-format
msgid "Process #{pk} is done."
msgstr "流程 #{pk} 已完成。"

#, python-format
msgid "Export the %(name)s"
msgid_plural "Export the %(count)s %(plural_name)s"
msgstr[0] "导出 %(count)s 个%(plural_name)s"

#, python-format
msgid "Delete the %(name)s"
msgid_plural "Delete the %(count)s %(plural_name)s"
msgstr[0] "删除%(name)s"
"""
    )
    problems = placeholder_mismatches(entries)
    assert len(problems) == 2, problems
    assert "The {obj} was added" in problems[0] and "['{obj}']" in problems[0]
    assert "Delete the %(name)s" in problems[1]


def test_parser_self_check_finds_a_stale_mo():
    if not MO_PATH.is_file():
        pytest.skip(f"{MO_PATH} is missing (reported by the .mo test)")
    with MO_PATH.open("rb") as fp:
        catalog = gettext.GNUTranslations(fp)
    entries = messages(parse_po(PO_PATH.read_text(encoding="utf-8")))
    assert entries, "the catalogue is empty"
    changed = Entry(
        msgid=entries[0].msgid,
        msgctxt=entries[0].msgctxt,
        msgid_plural=entries[0].msgid_plural,
        msgstr="已修改",
        msgstr_plural={0: "已修改"} if entries[0].msgid_plural else {},
    )
    new = Entry(msgid="Not compiled yet", msgstr="Not compiled yet")  # identical text
    new_plural = Entry(msgid="One new", msgid_plural="Many new", msgstr_plural={0: "新"})
    problems = mo_mismatches([changed, new, new_plural], catalog)
    assert len(problems) == 3, problems


# --- Words with several meanings carry a context (issue 10) ---------------------

#: msgids that mean different things in different places: each use has a
#: ``pgettext`` / ``{% translate ... context ... %}`` context, never the bare word.
AMBIGUOUS_MSGIDS = {
    "title",
    "Title",
    "From",
    "To",
    "active",
    "Lost",
    "Stalled",
    "Closing",
    "comment",
}


def test_ambiguous_words_are_only_used_with_a_context(po_entries):
    bare = sorted(
        e.msgid for e in messages(po_entries) if e.msgctxt is None and e.msgid in AMBIGUOUS_MSGIDS
    )
    assert bare == [], f"give these msgids a pgettext context: {bare}"


def test_each_meaning_has_its_own_chinese_word():
    from django.utils import translation

    from analytics.exports import funnel_columns
    from analytics.forms import ReportForm
    from approvals.models import ApprovalRule
    from crm.models import Employee, Notification
    from crm.views_handover import HandoverForm
    from customers.models import Contact, LifecycleStage
    from projects.deals.forms import OpportunityFilterForm
    from projects.models import Comment, Contract, Opportunity, Process, QuoteDecision, Stage

    def label(model, field):
        return str(model._meta.get_field(field).verbose_name)

    with translation.override("zh-hans"):
        # A person's job title is 职务; a deal's, a contract's, a notification's is not.
        assert label(Employee, "title") == "职务"
        assert label(Contact, "title") == "职务"
        for model in (Opportunity, Contract, Notification):
            assert label(model, "title") not in ("", "职务", "title"), model
        assert str(OpportunityFilterForm.SORTS["title"][0]) == label(Opportunity, "title")
        # The funnel's period is not the handover's "from" person.
        assert str(ReportForm.base_fields["start"].label) == "开始日期"
        assert str(HandoverForm.base_fields["to_employee"].label) == "接收人"
        assert translation.pgettext("handover", "From") == "移交人"
        # 在职 is for employees only.
        assert label(Employee, "is_active") == "在职"
        for model in (ApprovalRule, Process, Stage):
            assert label(model, "is_active") == "启用", model
        # A customer is lost (流失); a deal in the funnel is lost (失败数).
        assert str(LifecycleStage.LOST.label) == "流失"
        columns = dict(funnel_columns())
        assert columns["lost"] == "失败数" and columns["stalled"] == "滞留数"
        assert columns["closing"] == "期末数"
        assert translation.pgettext("closing stages", "Closing") != "期末数"
        # A discussion message is not an approval decision's comment.
        assert str(Comment._meta.verbose_name) == "讨论留言"
        assert label(QuoteDecision, "comment") == "审批意见"
        # When a workflow step was created, not how many rows an import created.
        assert translation.pgettext("time", "Created") == "创建时间"
        assert translation.gettext("Created") == "新建"
