"""This install, not the conversation: the desktop menu entry (``desktop_entry``) and ``--self-test``
(``self_test``). Nothing in the core below imports from here."""
