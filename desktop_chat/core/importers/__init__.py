"""Reading other apps' exports (ChatGPT, Claude) into the app's own import document; no Qt, no SQL.

``source`` opens what the user picked (a zip or a JSON file, sniffed and read
within size caps), ``detect`` says which export it is, and ``chatgpt`` and
``claude`` turn each conversation into a session of the app's own document,
which ``core/export.py`` validates and writes as it writes its own exports.
"""
