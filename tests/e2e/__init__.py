"""End-to-end tests: the app's real paths against a real llama.cpp server and a real Secret Service."""
