"""The built-in model: llama.cpp's server in a supervised child process (``server``, ``child``), the one
server a workspace owns and its ``ChatClient`` (``builtin``), and its model files (``files``)."""
