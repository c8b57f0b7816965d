"""GIN indexes of the scoped search documents (``crm.scope.ScopedMatch``).

Each indexes ``search_vector`` together with the record's branch, department
and owner as lexemes (``#b2``, ``#d4``, ``#o5``), so that a one-box search
within a user's scope is one GIN scan that returns only the rows in scope,
instead of the word's rows ANDed with a B-tree bitmap of a whole branch. The
expression must stay exactly as ``ScopedMatch`` writes it (a test checks that
the searches use these indexes). Built concurrently: writes go on meanwhile.
"""

from django.db import migrations

DOCUMENT = (
    "(array_to_tsvector(ARRAY['#b' || branch_id::text, '#d' || department_id::text,"
    " '#o' || COALESCE(owner_id::text, '')]) || search_vector)"
)


def create(index: str, table: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} USING gin ({DOCUMENT})",
        f"DROP INDEX CONCURRENTLY IF EXISTS {index}",
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("customers", "0004_list_filters_in_scope_indexes")]

    operations = [
        create("customer_scoped_search", "customers_customer"),
        create("contact_scoped_search", "customers_contact"),
    ]
