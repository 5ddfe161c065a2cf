"""The sub-facades ``Workspace`` (``core/workspace.py``) is made of, one per area a front end drives.

``workspace.chats``, ``.replies``, ``.memory``, ``.config``, ``.providers``, ``.data``, ``.local``: each a thin
orchestrator: it calls the rules and engines below (``memory/fact_rules``,
``memory/summary_rules``, ``chat_rules``, ``profile_rules``, the controller) and
publishes every change on the workspace's one event channel. They share one
``Context`` (the store, the controller, the channel), built by ``Workspace``.
"""
