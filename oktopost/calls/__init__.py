"""The client's endpoint calls, one mixin per resource, composed in ``OktopostClient``.

Each mixin is a ``Transport`` and adds the calls of one part of the API; ``params`` holds
what they share (paging, ids, times). Import the client from ``oktopost.client``.
"""
