"""Tests of memory upkeep (summary, fact extraction) against the fake server through the real client."""
