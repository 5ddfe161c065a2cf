"""Attached files: reading documents and images (no Qt, no storage)."""
