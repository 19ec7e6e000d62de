# Written by hand: the database side is posts.index_swap's.

from django.db import migrations

from posts.index_swap import swap_operations

# The queue's sorts by a counter walk that counter's (x, id) index and test each post
# against the filters, when more than a page's worth match. Holding what those walks test
# most (deleted, status, network), the index alone tells which entries match: sorted by
# clicks with one network, SQLite read 24,000 table rows for 50 Facebook posts at 1M
# posts, 67 ms; from the index, 1.5 ms (issue 31). Same names as before.
COUNTERS = ("clicks", "conversions", "comments", "likes", "shares", "impressions")
WIDENED = {f"post_{c}_id": [c, "id", "deleted_at", "status", "network"] for c in COUNTERS}
BEFORE = {f"post_{c}_id": [c, "id"] for c in COUNTERS}


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("posts", "0016_count_indexes"),
    ]

    operations = swap_operations(BEFORE, WIDENED)
