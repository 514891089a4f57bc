"""Erasmus+ assistant: answers Erasmus+ questions from a YAML knowledge base.

The same answers reach Telegram and the terminal chat.
"""

import os

# Opt in to python-telegram-bot's next-major behaviour (durations as timedelta) so that reading
# RetryAfter.retry_after does not warn; the code handles both forms.
os.environ.setdefault("PTB_TIMEDELTA", "1")
# NumPy's OpenBLAS runs one thread per core, and its threads spin waiting for each other: on a
# shared 2-core host the classifier's fit at every load took 350 ms instead of 25 ms whenever
# another process held a core. The matrices here are small; one thread is the fast choice.
# Set before NumPy is first imported (an explicit OPENBLAS_NUM_THREADS still wins).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
