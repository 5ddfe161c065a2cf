"""The settings dialog, its pages and fields, and the first-run setup."""
