"""Indexes for the customer list's filters within a branch, and its
recently-updated sort within an owner (``customers.listing``).

The list counts exactly up to 5,000. A filter value that is a few percent of
a branch (a region, a lifecycle stage) kept the count from stopping early: it
read the whole branch from the scope-led index, or ANDed a bitmap of the
whole branch with the filter's. ``(<filter>, branch_id)`` answers it from the
matching rows only; the region index also lists them in name order. A rep's
recently updated customers with a filter walk ``(owner_id, updated_at, id)``
instead of ANDing bitmaps. Built concurrently; no model state (the list's
other indexes are declared on the model).
"""

from django.db import migrations

INDEXES = {
    "customer_region_branch_name_id": "(region, branch_id, name, id) INCLUDE (is_archived)",
    "customer_industry_branch": "(industry, branch_id) INCLUDE (is_archived)",
    "customer_stage_branch": "(lifecycle_stage, branch_id) INCLUDE (is_archived)",
    "customer_grade_branch": "(value_grade, branch_id) INCLUDE (is_archived)",
    "customer_owner_updated_id": "(owner_id, updated_at, id)",
}


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0005_scoped_search_indexes")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON customers_customer {columns}",
            f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
        )
        for name, columns in INDEXES.items()
    ]
