"""The inbox tasks that services queue, by name (`core.services.enqueue`)."""

events_process = "inbox.tasks.events_process"
