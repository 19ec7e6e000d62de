"""Searching messages' text through each database's full-text index.

The words come from `posts.queue.search_words`; every word typed must start a word of the
message, case-insensitively (posts/migrations/0004_message_search.py builds the index).
"""

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from posts.models import Message

# The full-text index of each database: posts/migrations/0004_message_search.py.
_SQLITE_MATCHING_IDS = "SELECT rowid FROM posts_message_fts WHERE posts_message_fts MATCH %s"
_SQLITE_MATCHING = (
    "SELECT oktopost_id FROM posts_message"  # noqa: S608 (constants only)
    f" WHERE id IN ({_SQLITE_MATCHING_IDS})"
)
# SQLite walks the posts in the page's order once 1 message in WALK_AFTER matches (the
# two plans cost the same at about 1 in 70 at 1M posts, 1 in 30 at 200k). One query
# answers it from the index, reading no more matches than that; the highest message id
# stands for the number of messages.
WALK_AFTER = 50
_SQLITE_MANY = (
    "SELECT count(*) >= (SELECT coalesce(max(id), 0) / %s + 1 FROM posts_message) FROM ("  # noqa: S608
    f"{_SQLITE_MATCHING_IDS} LIMIT (SELECT coalesce(max(id), 0) / %s + 1 FROM posts_message))"
)
_POSTGRESQL_MATCHING = (
    "SELECT oktopost_id FROM posts_message"
    " WHERE search_vector @@ to_tsquery('simple'::regconfig, %s)"
)


def _sqlite_match(words: list[str]) -> str:
    # "word"* is a prefix query for one term; terms side by side must all match.
    return " ".join(f'"{word}"*' for word in words)


def posts_matching(words: list[str]) -> Q | Exists:
    """A filter of posts whose message matches `words` (see `messages_matching`).

    FTS5 tells SQLite's planner nothing of how many messages match, so it always starts
    from them and sorts every matching post: 1.1 s for "webinar" (one message in seven)
    at 200k posts. When many match, walking the posts in the page's order and checking
    each finds a page's worth sooner (7 ms); when few do, starting from them is the
    fast way (under 1 ms for one message, where the walk reads the whole table).
    PostgreSQL estimates matches from the index's statistics and chooses by itself.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            match = _sqlite_match(words)
            cursor.execute(_SQLITE_MANY, [WALK_AFTER, match, WALK_AFTER])
            many = bool(cursor.fetchone()[0])
        if many:
            ids = RawSQL(_SQLITE_MATCHING_IDS, [match])  # noqa: S611 (words as a parameter)
            return Exists(Message.objects.filter(oktopost_id=OuterRef("message_id"), id__in=ids))
    return Q(message_id__in=messages_matching(words))


def messages_matching(words: list[str]) -> RawSQL | QuerySet[Message]:
    """The `oktopost_id`s of messages whose text has, for each word, a word starting with
    it (case-insensitive; see `posts.queue.search_words`), from the full-text index.

    The words come from `search_words`, letters and digits only, and are still passed as
    query parameters, each quoted as a term: nothing typed is ever read as FTS5 or
    tsquery syntax (`NEAR`, `*`, `-`, `"`, `:`, `&`, `!`).
    """
    if connection.vendor == "sqlite":
        return RawSQL(_SQLITE_MATCHING, [_sqlite_match(words)])  # noqa: S611 (words as a parameter)
    if connection.vendor == "postgresql":
        # 'word':* is a prefix match; to_tsquery lower-cases each the way to_tsvector
        # lower-cased the text, whatever the database's locale.
        query = " & ".join(f"'{word}':*" for word in words)
        return RawSQL(_POSTGRESQL_MATCHING, [query])  # noqa: S611 (words as a parameter)
    found = Message.objects.all()
    for word in words:
        found = found.filter(text__icontains=word)
    return found.values("oktopost_id")
