"""Erasmus+ assistant: answers Erasmus+ questions from a YAML knowledge base.

The same answers reach Telegram and the terminal chat.
"""
