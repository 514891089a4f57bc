"""Erasmus+ assistant: answers Erasmus+ questions from a YAML knowledge base, in Telegram and a terminal."""
