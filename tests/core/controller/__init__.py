"""Tests of the ConversationController: real SQLite files, the real openai SDK over HTTP to the fake server."""
