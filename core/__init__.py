"""What every app shares, below all of them: local time, cache and task queue that
survive outages, page-or-partial rendering, outbound HTTP rules, role checks, the
words of a post (its counters, when it is stuck), URL dates, and `ServiceError` with
`enqueue`. core imports no app and not the project package (docs/ARCHITECTURE.md).
"""
