"""Attachments: files and images a user adds to a message (issue 23).

Qt-free. ``extract`` reads a document's text (PDF, Office, CSV, HTML, Markdown, text and code);
``images`` reads an image's size from its header and counts its tokens. Each reader imports its
library only when a file of that kind is read, so importing the core stays fast.
"""
