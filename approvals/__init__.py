"""Approvals (issue 26): what waits in Oktopost's approval workflows, decided here or
from a review link. Built on posts (the mirror of workflows, items and each post's
place; writes to Oktopost through its client), below the project."""
