"""Erasmus+ assistant: answers Erasmus+ questions from a YAML knowledge base.

The same answers reach Telegram and the terminal chat.
"""

import os

# Opt in to python-telegram-bot's next-major behaviour (durations as timedelta) so that reading
# RetryAfter.retry_after does not warn; the code handles both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")
