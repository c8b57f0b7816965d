"""The sales processes, stages, loss reasons and questionnaires a new
installation starts with (OPP-3, OPP-4, OPP-9). Installed by a data
migration; admins change them afterwards. ``install`` only adds what is
missing, so running it again never overwrites an admin's edits."""

from __future__ import annotations

# (code, Chinese, English, kind, probability, rot days)
COMPLEX_STAGES = [
    ("lead", "线索确认", "Lead qualification", "open", 10, 30),
    ("needs", "需求分析", "Needs analysis", "open", 20, 30),
    ("solution", "方案设计", "Solution design", "open", 40, 45),
    ("tender", "投标报价", "Tender and quotation", "open", 60, 30),
    ("negotiation", "商务谈判", "Negotiation", "open", 80, 20),
]
STANDARD_STAGES = [
    ("contact", "初步接触", "Initial contact", "open", 10, 14),
    ("quotation", "报价", "Quotation", "open", 40, 14),
    ("order", "下单确认", "Order confirmation", "open", 80, 7),
]
CLOSING_STAGES = [
    ("won", "赢单", "Won", "won", 100, None),
    ("lost", "丢单", "Lost", "lost", 0, None),
    ("abandoned", "放弃", "Abandoned", "abandoned", 0, None),
]
PROCESSES = [
    ("complex", "复杂项目销售", "Complex project sale", "complex", COMPLEX_STAGES),
    ("standard", "标准产品销售", "Standard product sale", "standard", STANDARD_STAGES),
]
LOSS_REASONS = [
    ("价格过高", "Price too high"),
    ("竞争对手胜出", "Lost to a competitor"),
    ("预算不足", "No budget"),
    ("项目取消", "Project cancelled"),
    ("产品不满足需求", "Product does not fit"),
    ("客户关系不到位", "Weak relationship"),
]
# (Chinese, English, [(Chinese, English, points), ...])
COMPLEX_QUESTIONS = [
    (
        "预算是否已落实？",
        "Is the budget approved?",
        [("已批准", "Approved", 30), ("申请中", "Being requested", 15), ("没有", "No", 0)],
    ),
    (
        "是否接触到决策者？",
        "Have we met the decider?",
        [
            ("已会面", "Met", 25),
            ("已识别未会面", "Identified, not met", 10),
            ("未知", "Unknown", 0),
        ],
    ),
    (
        "预计何时采购？",
        "When will they buy?",
        [
            ("3 个月内", "Within 3 months", 25),
            ("3–6 个月", "3–6 months", 15),
            ("更晚或不确定", "Later or unknown", 0),
        ],
    ),
    (
        "我方方案匹配度？",
        "How well does our solution fit?",
        [("完全匹配", "Fully", 20), ("部分匹配", "Partly", 10), ("较弱", "Poorly", 0)],
    ),
]
STANDARD_QUESTIONS = [
    (
        "是否有明确的采购需求？",
        "Is there a clear need?",
        [("明确", "Clear", 50), ("模糊", "Vague", 20), ("没有", "None", 0)],
    ),
    (
        "预计何时下单？",
        "When will they order?",
        [
            ("1 个月内", "Within a month", 50),
            ("1–3 个月", "1–3 months", 25),
            ("不确定", "Unknown", 0),
        ],
    ),
]
GRADES = [("A", 80), ("B", 55), ("C", 30), ("D", 0)]
QUESTIONNAIRES = {"complex": COMPLEX_QUESTIONS, "standard": STANDARD_QUESTIONS}


def install(apps=None) -> None:
    """Create the default configuration where it is missing."""
    if apps is None:
        from django.apps import apps
    Process = apps.get_model("projects", "Process")
    Stage = apps.get_model("projects", "Stage")
    LossReason = apps.get_model("projects", "LossReason")
    Question = apps.get_model("projects", "Question")
    QuestionOption = apps.get_model("projects", "QuestionOption")
    GradeThreshold = apps.get_model("projects", "GradeThreshold")

    for order, (code, zh, en, kind, stages) in enumerate(PROCESSES):
        process, created = Process.objects.get_or_create(
            code=code, defaults={"name": zh, "name_en": en, "kind": kind, "order": order}
        )
        if not created:
            continue
        for position, (stage_code, stage_zh, stage_en, stage_kind, probability, rot) in enumerate(
            [*stages, *CLOSING_STAGES], start=1
        ):
            Stage.objects.create(
                process=process,
                code=stage_code,
                name=stage_zh,
                name_en=stage_en,
                kind=stage_kind,
                order=position * 10,
                probability=probability,
                rot_days=rot,
            )
        for position, (q_zh, q_en, options) in enumerate(QUESTIONNAIRES[code], start=1):
            question = Question.objects.create(
                process=process, text=q_zh, text_en=q_en, order=position
            )
            QuestionOption.objects.bulk_create(
                QuestionOption(question=question, text=o_zh, text_en=o_en, points=points, order=n)
                for n, (o_zh, o_en, points) in enumerate(options)
            )
        GradeThreshold.objects.bulk_create(
            GradeThreshold(process=process, grade=grade, min_score=score) for grade, score in GRADES
        )
    for order, (zh, en) in enumerate(LOSS_REASONS):
        LossReason.objects.get_or_create(name=zh, defaults={"name_en": en, "order": order})
