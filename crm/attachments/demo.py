"""Demo attachments: a few small PDFs and text files on the demo users'
records (customers, deals, contracts … whatever scoped records they own).

Runs after the other apps' seeders (``ORDER``), through the upload service,
so the text is extracted and searchable (try 验收 or yanshou). Idempotent: a
record that already has attachments gets none.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.attachments.models import Attachment
from crm.attachments.pdf import simple_pdf
from crm.attachments.rules import scoped_models
from crm.attachments.services import attachment_upload

ORDER = 100  # after the seeders that create the records
#: Demo users whose records get attachments, and how many records of each kind.
OWNERS = {"rep": 2, "manager": 1}


def _files(record) -> list[SimpleUploadedFile]:
    title = str(record)[:60]
    pdf = simple_pdf(
        [
            [f"{title} 技术方案书", "一、项目背景与需求调研", "二、解决方案与实施计划"],
            ["三、验收标准与售后服务", "四、报价说明：含税价，有效期三十天"],
        ]
    )
    notes = f"{title} 会议纪要\n客户关注交付周期和培训安排，下周提交合同草案。\n".encode(
        "gb18030"
    )
    return [
        SimpleUploadedFile("技术方案书.pdf", pdf, content_type="application/pdf"),
        SimpleUploadedFile("会议纪要.txt", notes, content_type="text/plain"),
    ]


def seed(*, options, stdout) -> None:
    User = get_user_model()
    created = 0
    for username, per_model in OWNERS.items():
        user = User.objects.filter(username=username).first()
        if user is None:
            continue
        for model in scoped_models():
            content_type = ContentType.objects.get_for_model(model)
            records = model._default_manager.filter(owner=user).order_by("pk")[:per_model]
            for record in records:
                if Attachment.objects.filter(
                    content_type=content_type, object_id=record.pk
                ).exists():
                    continue
                for file in _files(record):
                    try:
                        attachment_upload(record=record, file=file, by=user)
                    except PermissionDenied:
                        break
                    created += 1
    stdout.write(f"attachments: {created} demo attachments created")
