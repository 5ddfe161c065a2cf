"""The session sidebar: search, the grouped list of chats and their actions."""
