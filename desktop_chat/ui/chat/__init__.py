"""The conversation pane: the message list (model, delegate, view), Markdown rendering and the composer."""
