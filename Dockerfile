# The Erasmus+ assistant as a container: the Telegram bot (long polling by default, a webhook on
# port 8443 when BOT_WEBHOOK_URL is set), its SQLite file on the /data volume, and the knowledge
# base baked in at /app/knowledge.
#
#   docker build -t erasmus-assistant .
#   docker run -d --env-file .env -v erasmus-data:/data erasmus-assistant
#
# No secrets are baked in: TELEGRAM_BOT_TOKEN and the rest come from the environment at run time
# (see .env.example and compose.yaml). Without a token the bot is the terminal chat, which needs
# an interactive terminal: docker run -it --rm erasmus-assistant

# Python 3.11 on Debian 13: the minor version and the Debian release are both pinned, so a rebuild
# picks up security patches but never a new Python or a new distribution. The slim image already
# has tzdata (BOT_TIMEZONE) and CA certificates (api.telegram.org), so no apt packages are needed.
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A fixed numeric uid/gid, so volume ownership is predictable and Kubernetes' runAsNonRoot can
# verify it. /data belongs to that user; it is created before the VOLUME line so that a new named
# volume starts out with this ownership.
RUN groupadd --system --gid 10001 bot \
    && useradd --system --no-log-init --uid 10001 --gid bot \
        --home-dir /nonexistent --shell /usr/sbin/nologin bot \
    && mkdir /data \
    && chown bot:bot /data

# The dependencies come from requirements.lock (exact versions, every file checked against its
# hash; `make lock` refreshes it), then the package itself goes into site-packages without
# resolving anything, and the copied source is removed again. pyproject's readme is an empty
# stand-in here, so that editing README.md rebuilds nothing.
COPY pyproject.toml requirements.lock /tmp/src/
COPY bot/ /tmp/src/bot/
RUN touch /tmp/src/README.md \
    && pip install --no-cache-dir --require-hashes -r /tmp/src/requirements.lock \
    && pip install --no-cache-dir --no-deps /tmp/src \
    && rm -rf /tmp/src

WORKDIR /app

# Last, so that editing the knowledge base rebuilds only these layers. It is owned by root and
# only readable by the bot, which never writes to it. It is deliberately not a VOLUME: an
# anonymous volume would hide the files of a newer image. To use other files, mount a directory
# over it (compose.yaml shows a bind mount of ./knowledge); the bot reloads edits by itself. A
# knowledge base with errors fails the build here instead of at start-up.
COPY knowledge/ /app/knowledge/
ENV BOT_DB=/data/bot.sqlite3 \
    BOT_WEBHOOK_LISTEN=0.0.0.0 \
    BOT_KNOWLEDGE_DIR=/app/knowledge \
    BOT_CACHE_DIR=/app/cache
# The embedding cache is baked in (every phrasing embedded once, here, about a minute on 2
# cores), so a container answers on words and meaning from its first second. It belongs to the
# bot, which adds the vectors of phrasings staff change in a mounted knowledge base.
RUN python -m bot validate /app/knowledge \
    && python -m bot ask "what is the ECHE" > /dev/null \
    && chown -R bot:bot /app/cache

VOLUME ["/data"]

# Only used in webhook mode (BOT_WEBHOOK_URL set): the bot listens on 0.0.0.0:BOT_WEBHOOK_PORT with
# plain HTTP, so put a TLS-terminating reverse proxy in front of it.
EXPOSE 8443

USER 10001:10001

# The bot is PID 1 (exec-form CMD), so "the process is alive" is already what Docker tracks: when
# it exits, the container stops. What the check adds, without any network (so a Telegram outage
# never marks the container unhealthy), is that the SQLite database the bot opened can still be
# written: it opens BOT_DB read-write without creating it (mode=rw), takes the write lock within
# 10 seconds (so the bot is not stuck inside a write transaction), and has a write accepted and
# rolled back (so the file is not read-only), leaving the file unchanged.
# `python -m bot validate` is not used: a broken edit of a mounted knowledge base does not stop the
# bot (it keeps serving the last good version and tells the admins), so it is no health signal.
# The database appears only once the bot has started; the terminal chat (no token) never creates
# it and has nothing to check.
HEALTHCHECK --interval=60s --timeout=20s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, pathlib, sqlite3, sys; os.environ.get('TELEGRAM_BOT_TOKEN') or sys.exit(0); db = pathlib.Path(os.environ['BOT_DB']).resolve(); con = sqlite3.connect(db.as_uri() + '?mode=rw', uri=True, timeout=10, isolation_level=None); con.execute('BEGIN IMMEDIATE'); con.execute('CREATE TABLE healthcheck_probe (x)'); con.execute('ROLLBACK')"]

CMD ["python", "-m", "bot"]
