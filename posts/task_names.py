"""The posts tasks that services queue, by name (`core.services.enqueue`).

posts/tasks.py imports the services; a service importing it back would be an import
cycle, so services name the task instead. tests/test_imports.py checks that every name
here is a task the worker knows.
"""

bulk_run = "posts.tasks.bulk_run"
refresh_post_stats = "posts.tasks.refresh_post_stats"
followers_sync = "posts.tasks.followers_sync"
