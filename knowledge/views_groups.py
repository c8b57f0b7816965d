"""Discussion groups (KNW-2): the user's groups, a group's topics and
members, a topic with its posts. Only members (and moderators) reach a
group or its topics; anyone else gets 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from knowledge import selectors, services
from knowledge.discussions import access_subject
from knowledge.forms import AddMembersForm, GroupForm, PostForm, TopicForm
from knowledge.views_articles import add_errors

User = get_user_model()

TOPICS_PER_PAGE = 25
POSTS_PER_PAGE = 50
GROUP_CREATED = _("Group “%(name)s” created.")
MEMBERS_ADDED = _("%(count)d members added.")
MEMBER_REMOVED = _("%(name)s left the group.")
REPLY_POSTED = _("Reply posted.")
TOPIC_NOT_STARTED = _("The topic was not started: give it a title and a message.")


class GroupListView(View):
    def get(self, request):
        groups = list(selectors.group_list(user=request.user))
        return render(
            request,
            "knowledge/group_list.html",
            {
                "page_title": gettext("Discussion groups"),
                "groups": groups,
                "can_add": request.user.has_perm("knowledge.add_discussiongroup"),
            },
        )


class GroupCreateView(View):
    template_name = "knowledge/group_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm("knowledge.add_discussiongroup"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(
            request,
            self.template_name,
            {"page_title": gettext("New discussion group"), "form": GroupForm()},
        )

    def post(self, request):
        form = GroupForm(request.POST)
        if form.is_valid():
            try:
                group = services.group_create(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, GROUP_CREATED % {"name": group.name})
                return HttpResponseRedirect(group.get_absolute_url())
        return render(
            request,
            self.template_name,
            {"page_title": gettext("New discussion group"), "form": form},
        )


class GroupDetailView(View):
    """A group's topics (paged), its members and the form to start a topic."""

    template_name = "knowledge/group_detail.html"

    def _render(self, request, group, topic_form):
        page = Paginator(selectors.group_topics(group=group), TOPICS_PER_PAGE).get_page(
            request.GET.get("page")
        )
        is_owner = selectors.is_group_owner(request.user, group)
        return render(
            request,
            self.template_name,
            {
                "page_title": group.name,
                "group": group,
                "page": page,
                "members": list(selectors.group_members(group=group)),
                "is_owner": is_owner,
                "topic_form": topic_form,
                "members_form": AddMembersForm(group=group) if is_owner else None,
                "can_post": request.user.has_perm("knowledge.add_topic") and not group.is_archived,
            },
        )

    def get(self, request, pk):
        group = selectors.access_group(user=request.user, pk=pk)
        return self._render(request, group, TopicForm())

    def post(self, request, pk):
        """Start a topic in the group."""
        group = selectors.access_group(user=request.user, pk=pk)
        if not request.user.has_perm("knowledge.add_topic"):
            raise PermissionDenied
        form = TopicForm(request.POST)
        if form.is_valid():
            try:
                topic = services.topic_start(by=request.user, group=group, **form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                return HttpResponseRedirect(topic.get_absolute_url())
        return self._render(request, group, form)


class GroupMembersView(View):
    """Owners (and moderators) add members or remove one (POST only)."""

    def post(self, request, pk):
        group = selectors.access_group(user=request.user, pk=pk)
        if not selectors.is_group_owner(request.user, group):
            raise PermissionDenied
        remove = request.POST.get("remove")
        if remove:
            if not remove.isdigit():
                raise Http404("Not a member.")
            member = group.memberships.filter(user_id=remove).select_related("user").first()
            if member is None:
                raise Http404("Not a member.")
            try:
                services.group_remove_member(group=group, user=member.user, by=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                name = member.user.get_full_name() or member.user.get_username()
                messages.success(request, MEMBER_REMOVED % {"name": name})
        else:
            form = AddMembersForm(request.POST, group=group)
            if form.is_valid():
                count = services.group_add_members(
                    group=group, users=form.cleaned_data["members"], by=request.user
                )
                messages.success(request, MEMBERS_ADDED % {"count": count})
            else:
                messages.error(request, " ".join(form.errors.get("members", [])))
        return HttpResponseRedirect(f"{group.get_absolute_url()}#members")

    def get(self, request, pk):
        group = selectors.access_group(user=request.user, pk=pk)
        return HttpResponseRedirect(f"{group.get_absolute_url()}#members")


class TopicDetailView(View):
    """A topic's posts, oldest first (paged), and the reply form."""

    template_name = "knowledge/topic_detail.html"

    def _render(self, request, topic, form):
        paginator = Paginator(selectors.topic_posts(topic=topic), POSTS_PER_PAGE)
        page = paginator.get_page(request.GET.get("page"))
        return render(
            request,
            self.template_name,
            {
                "page_title": topic.title,
                "topic": topic,
                "page": page,
                "form": form,
                "can_reply": request.user.has_perm("knowledge.add_post") and not topic.is_closed,
            },
        )

    def get(self, request, pk):
        topic = selectors.access_topic(user=request.user, pk=pk)
        return self._render(request, topic, PostForm())

    def post(self, request, pk):
        topic = selectors.access_topic(user=request.user, pk=pk)
        if not request.user.has_perm("knowledge.add_post"):
            raise PermissionDenied
        form = PostForm(request.POST)
        if form.is_valid():
            try:
                post = services.post_create(
                    topic=topic, by=request.user, body=form.cleaned_data["body"]
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                messages.success(request, REPLY_POSTED)
                last = (topic.post_count + 1 + POSTS_PER_PAGE - 1) // POSTS_PER_PAGE
                return HttpResponseRedirect(
                    f"{topic.get_absolute_url()}?page={last}#post-{post.pk}"
                )
        return self._render(request, topic, form)


class SubjectTopicView(View):
    """Start a topic about a record (a deal …) from its page; whoever sees the
    record may. A GET goes back to the record."""

    def get(self, request, content_type_id, object_id):
        subject = access_subject(
            user=request.user, content_type_id=content_type_id, object_id=object_id
        )
        return HttpResponseRedirect(subject.get_absolute_url())

    def post(self, request, content_type_id, object_id):
        subject = access_subject(
            user=request.user, content_type_id=content_type_id, object_id=object_id
        )
        if not request.user.has_perm("knowledge.add_topic"):
            raise PermissionDenied
        form = TopicForm(request.POST)
        if not form.is_valid():
            messages.error(request, TOPIC_NOT_STARTED)
            return HttpResponseRedirect(subject.get_absolute_url())
        topic = services.topic_start(by=request.user, subject=subject, **form.cleaned_data)
        return HttpResponseRedirect(topic.get_absolute_url())
