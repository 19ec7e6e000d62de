"""The Oktopost boundary: the HTTP client and the local sandbox. No Django imports here."""
