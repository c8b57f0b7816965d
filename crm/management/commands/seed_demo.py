"""Load the demo data: ``python manage.py seed_demo [--customers N] ...``.

The kernel seeds the organisation and the demo users; every app adds its own
records through the seeder module named in ``AppConfig.demo_seeder``, which
defines ``add_arguments(parser)`` and ``seed(*, options, stdout)`` (and ``ORDER``
to run after the others). Running it
again changes nothing that is already there (volumes are topped up to N).
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_module


def _seeders():
    modules = [import_module("crm.demo")]
    for config in apps.get_app_configs():
        dotted = getattr(config, "demo_seeder", None)
        if dotted:
            modules.append(import_module(dotted))
    # A seeder that builds on other apps' records (attachments on customers
    # and deals) sets a higher ``ORDER`` to run after them; the rest keep
    # their order.
    return sorted(modules, key=lambda module: getattr(module, "ORDER", 0))


class Command(BaseCommand):
    help = "Create the demo organisation, users and records (idempotent)."

    def add_arguments(self, parser):
        for seeder in _seeders():
            if hasattr(seeder, "add_arguments"):
                seeder.add_arguments(parser)

    def handle(self, *args, **options):
        for seeder in _seeders():
            seeder.seed(options=options, stdout=self.stdout)
