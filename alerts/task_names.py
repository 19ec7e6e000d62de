"""The alerts tasks that services queue, by name (`core.services.enqueue`).

alerts/tasks.py imports the services; a service importing it back would be an import
cycle, so services name the task instead. tests/test_imports.py checks that every name
here is a task the worker knows.
"""

dispatch_send = "alerts.tasks.dispatch_send"
