from django.db import migrations


def install_defaults(apps, schema_editor):
    from projects.deals.defaults import install

    install(apps)


class Migration(migrations.Migration):
    dependencies = [("projects", "0001_opportunities")]

    operations = [migrations.RunPython(install_defaults, migrations.RunPython.noop)]
