"""Observable UI state: what the views of one chat share (its draft and the next request's plan)."""
