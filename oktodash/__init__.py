"""oktodash: a dashboard for teams who publish through Oktopost."""

__version__ = "0.1.0"
