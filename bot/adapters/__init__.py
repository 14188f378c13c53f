"""Channels that translate between a chat service (terminal, Telegram) and the core's Incoming/Reply."""
