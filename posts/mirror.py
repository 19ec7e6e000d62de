# TEMP shim until the sync package lands (replaced by the real mirror module at merge).
from posts.sync import messages_upsert, posts_upsert  # noqa: F401
from posts.sync import stats_request as post_stats_request  # noqa: F401
