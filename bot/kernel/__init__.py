"""The shared kernel: chat-neutral messages, text normalisation, figures, storage, strict YAML loading, roles."""
