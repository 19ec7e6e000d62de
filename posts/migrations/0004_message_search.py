"""A full-text index over messages' text, kept in step with the mirror by the database.

The queue's and the create form's search (`posts.selectors`) match whole words by their
beginning ("webin" finds "Webinar"), case-insensitively, every word of the search; a
`LIKE '%…%'` over the messages read every row (233 ms at 200k posts).

SQLite: an FTS5 table with external content (the rows stay in `posts_message`; the index
holds only the tokens), maintained by triggers on insert, update of `text` and delete,
and filled once here with FTS5's `rebuild`. The `unicode61` tokenizer splits at anything
but letters and digits and folds case; `remove_diacritics 0` keeps accents significant,
as on PostgreSQL below. Prefix indexes for 2 and 3 characters keep short prefixes (the
ones that match the most words) about as fast as whole words.
https://sqlite.org/fts5.html#external_content_tables

PostgreSQL: a stored generated `tsvector` column, `to_tsvector('simple', …)` of the text
with everything but letters and digits turned into spaces first, so words are split
exactly where SQLite splits them (PostgreSQL's own parser keeps `northwind.example/tips`
or `e-mail` together as URLs and hyphenated words), and a GIN index on it. Stored, not an
expression index: a common word is answered by walking posts newest first and checking
each one's message, and recomputing the vector for every check (and for every row a
bitmap scan rechecks) cost 300 ms a page at 200k posts. The 'simple' configuration
lower-cases and neither stems nor drops stop words: a search finds the words typed, in
any language. Trigram (pg_trgm) would give substring matching, but needs an extension we
cannot assume we may create, and reads far more of the index for short words. The column
is the database's own, like the FTS5 table: Django neither reads nor writes it.
https://www.postgresql.org/docs/current/textsearch-tables.html

Any other database gets nothing here and the selectors fall back to `icontains`.

A later migration that makes SQLite rebuild `posts_message` (Django copies the table,
drops the old one with its triggers) must create the triggers again and `rebuild`.
"""

from django.db import migrations

SQLITE_FORWARD = (
    """
    CREATE VIRTUAL TABLE posts_message_fts USING fts5(
        text,
        content='posts_message',
        content_rowid='id',
        tokenize='unicode61 remove_diacritics 0',
        prefix='2 3'
    )
    """,
    """
    CREATE TRIGGER posts_message_fts_insert AFTER INSERT ON posts_message BEGIN
        INSERT INTO posts_message_fts (rowid, text) VALUES (new.id, new.text);
    END
    """,
    # An upsert that changes nothing but `synced_at` leaves the index alone.
    """
    CREATE TRIGGER posts_message_fts_update AFTER UPDATE OF text ON posts_message
    WHEN old.text IS NOT new.text BEGIN
        INSERT INTO posts_message_fts (posts_message_fts, rowid, text)
            VALUES ('delete', old.id, old.text);
        INSERT INTO posts_message_fts (rowid, text) VALUES (new.id, new.text);
    END
    """,
    """
    CREATE TRIGGER posts_message_fts_delete AFTER DELETE ON posts_message BEGIN
        INSERT INTO posts_message_fts (posts_message_fts, rowid, text)
            VALUES ('delete', old.id, old.text);
    END
    """,
    "INSERT INTO posts_message_fts (posts_message_fts) VALUES ('rebuild')",
)
SQLITE_BACKWARD = (
    "DROP TRIGGER IF EXISTS posts_message_fts_insert",
    "DROP TRIGGER IF EXISTS posts_message_fts_update",
    "DROP TRIGGER IF EXISTS posts_message_fts_delete",
    "DROP TABLE IF EXISTS posts_message_fts",
)

POSTGRESQL_FORWARD = (
    """
    ALTER TABLE posts_message ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, regexp_replace(text, '[^[:alnum:]]+', ' ', 'g'))
    ) STORED
    """,
    "CREATE INDEX posts_message_search_vector ON posts_message USING gin (search_vector)",
)
POSTGRESQL_BACKWARD = (
    "DROP INDEX IF EXISTS posts_message_search_vector",
    "ALTER TABLE posts_message DROP COLUMN IF EXISTS search_vector",
)


def _run(statements: dict[str, tuple[str, ...]]):
    def run(apps, schema_editor) -> None:
        for sql in statements.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("posts", "0003_write_locks_submissions_unclear")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}),
            elidable=False,
        )
    ]
