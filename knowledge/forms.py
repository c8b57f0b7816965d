"""Forms of the knowledge pages. They check the shape of the input only; the
services check the rules (an audience needs its branches, …)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.models import Branch, Department
from knowledge.models import ArticleKind, ArticleStatus, Audience, Category, Tag
from knowledge.richtext import RichTextField

User = get_user_model()

MAX_TAGS = 10
TOO_MANY_TAGS = _("At most %(max)d tags.")


def _active_users():
    return (
        User.objects.filter(is_active=True, employee__is_active=True)
        .select_related("employee__department")
        .order_by("username")
    )


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.get_username()
        return f"{name} ({obj.employee.department})"


class DepartmentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.branch} · {obj}"


class ArticleForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("record name", "title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=ArticleKind.choices)
    category = forms.ModelChoiceField(label=_("category"), queryset=Category.objects.none())
    tags = forms.CharField(
        label=_("tags"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. 报价, 折扣"),
    )
    summary = forms.CharField(label=_("summary"), max_length=300, required=False)
    body = RichTextField(label=_("text"), required=False)
    status = forms.ChoiceField(label=_("status"), choices=ArticleStatus.choices)
    audience = forms.ChoiceField(
        label=_("visible to"), choices=Audience.choices, widget=forms.RadioSelect
    )
    branches = forms.ModelMultipleChoiceField(
        label=_("branches"),
        queryset=Branch.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    departments = DepartmentChoiceField(
        label=_("departments"),
        queryset=Department.objects.select_related("branch"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    note = forms.CharField(
        label=_("what changed"),
        max_length=200,
        required=False,
        help_text=_("A short note kept with this version."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data["tags"].replace("，", ",").replace("、", ",")
        names = list(dict.fromkeys(n.strip() for n in raw.split(",") if n.strip()))
        if len(names) > MAX_TAGS:
            raise forms.ValidationError(TOO_MANY_TAGS, params={"max": MAX_TAGS})
        return names

    @staticmethod
    def initial_for(article) -> dict:
        return {
            "title": article.title,
            "kind": article.kind,
            "category": article.category_id,
            "tags": ", ".join(tag.name for tag in article.tags.all()),
            "summary": article.summary,
            "body": article.body,
            "status": article.status,
            "audience": article.audience,
            "branches": list(article.branches.all()),
            "departments": list(article.departments.all()),
        }


class ArticleFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.none(), required=False
    )
    kind = forms.ChoiceField(
        label=_("kind"), choices=[("", "---------"), *ArticleKind.choices], required=False
    )
    tag = forms.ModelChoiceField(
        label=_("tag"), queryset=Tag.objects.all(), required=False, to_field_name="name",
        widget=forms.HiddenInput,
    )  # fmt: skip
    status = forms.ChoiceField(
        label=_("status"), choices=[("", "---------"), *ArticleStatus.choices], required=False
    )
    mine = forms.BooleanField(label=_("written by me"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True)


class GroupForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    members = UserChoiceField(
        label=_("members"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = _active_users()


class AddMembersForm(forms.Form):
    members = UserChoiceField(
        label=_("add members"),
        queryset=User.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args, group=None, **kwargs):
        super().__init__(*args, **kwargs)
        users = _active_users()
        if group is not None:
            users = users.exclude(pk__in=group.memberships.values("user_id"))
        self.fields["members"].queryset = users


class TopicForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("record name", "title"), max_length=200)
    body = forms.CharField(
        label=_("message"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5})
    )


class PostForm(forms.Form):
    body = forms.CharField(
        label=_("reply"), max_length=10000, widget=forms.Textarea(attrs={"rows": 4})
    )


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=pgettext_lazy("record name", "title"), max_length=200)
    body = RichTextField(label=_("text"))
    to_all_branches = forms.BooleanField(label=_("to all branches"), required=False, initial=True)
    branches = forms.ModelMultipleChoiceField(
        label=_("branches"),
        queryset=Branch.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Only when not to all branches."),
    )
