"""The demo account: what the local sandbox serves, what settings fall back to without
Oktopost credentials, and what the mirror seeder's rows look like.

It lives outside ``oktopost.sandbox`` so that the product (settings, ``posts.seeding``)
never imports the sandbox. This package and ``content`` are plain data on the standard
library: importing them starts nothing.
"""

# Fixed demo pair so `make run` works without configuration; 15-char 001 id like
# every Oktopost account id (docs/oktopost.md "IDs").
DEMO_ACCOUNT_ID = "001000000000001"
DEMO_API_KEY = "sandbox-demo-key"
# Where the sandbox listens unless told otherwise (the Procfile says ${SANDBOX_PORT:-8765}).
SANDBOX_PORT = 8765
