"""An index on (comments + likes + shares, id) of posts_post: the stats page's top posts
by engagement walk it from the top, as they walk (clicks, id) and (conversions, id)
(reports.selectors.top_posts). An expression index, so SQL rather than Meta.indexes of
another app's model; the same statement on SQLite and PostgreSQL."""

from django.db import migrations

from reports.triggers import ENGAGEMENT_INDEX, ENGAGEMENT_INDEX_DROP


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]

    operations = [migrations.RunSQL(ENGAGEMENT_INDEX, ENGAGEMENT_INDEX_DROP)]
