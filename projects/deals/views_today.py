"""The start page's deal cards ("Today", ANA-4 first version): my to-dos due
today and overdue, my rotting deals, my deals closing this month.

The start page gathers cards from every app; this one is a Turbo frame the
page loads right after it is shown, so the start page's own work does not
grow with each app that adds a card. Opened directly (no script) it is a
page of its own.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext
from django.views import View

from projects.deals import selectors


class TodayDealsView(View):
    def get(self, request):
        return render(
            request,
            "projects/today_deals.html",
            {
                "todos_panel": selectors.today_todos_panel(request),
                "rotting_panel": selectors.today_rotting_panel(request),
                "closing_panel": selectors.today_closing_panel(request),
                "page_title": gettext("Your deals today"),
            },
        )
