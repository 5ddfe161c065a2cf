"""One reader per family of formats; each imports its library inside the function that reads."""
