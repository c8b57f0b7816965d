"""Print where the demo runs and who can log in (used by ``make demo``)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from crm.demo import DEMO_USERS


class Command(BaseCommand):
    help = "Print the demo URL and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url, **options):
        width = max(len(user.username) for user in DEMO_USERS)
        lines = [
            "",
            f"The CRM is starting on {url}",
            f"Demo logins (password: {settings.DEMO_PASSWORD}):",
        ]
        for user in DEMO_USERS:
            roles = ", ".join(user.roles)
            lines.append(f"  {user.username:<{width}}  {user.title:<10} {roles} — {user.note}")
        lines.append("")
        self.stdout.write("\n".join(lines))
