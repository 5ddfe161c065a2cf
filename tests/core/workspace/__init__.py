"""Tests of the application facade, driven as a Qt-free client would: real SQLite, the fake server over HTTP."""
