"""Importing: other apps' exports (ChatGPT, Claude) and the app's own JSON, into the database; no Qt.

``source`` opens what the user picked (a zip or a JSON file, sniffed and read
within size caps), ``detect`` says which export it is, and ``chatgpt`` and
``claude`` turn each conversation into a session of the app's own document
(``document``), which ``writer`` validates and writes as it writes the app's
own exports. ``files`` is the one entry point: any file the app reads,
validated whole, then written in batches. Only ``writer`` and ``files`` touch
the database (through the storage layer); the rest reads files.
"""
