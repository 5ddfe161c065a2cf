"""The main window: layout and wiring, its actions and menus, the status bar, the replies it runs."""
