"""The Oktopost boundary: the HTTP client (client, transport, types, errors, limiter), the
demo account (demo) and the local sandbox (sandbox, a separate program the product starts
but never imports). Nothing here imports Django or an app of ours."""
