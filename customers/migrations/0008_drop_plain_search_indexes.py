"""The plain GIN indexes of ``search_vector`` go: every search now reads the
scoped search documents (``customers.0005``), also for users who see all
(``crm.scope.ScopedMatch`` without scope lexemes), so these were never read
and only cost writes (about 390 MB at a million customers and three million
contacts). Dropped concurrently: reads and writes go on meanwhile."""

from django.contrib.postgres.operations import RemoveIndexConcurrently
from django.db import migrations


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0007_import_job_row_choices")]

    operations = [
        RemoveIndexConcurrently(model_name="customer", name="customer_search"),
        RemoveIndexConcurrently(model_name="contact", name="contact_search"),
    ]
