"""Starting the application: the launcher, its identity, theme, icons, error hooks and the self-test window."""
