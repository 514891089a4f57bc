"""The composition root: build the Telegram application, register every handler in one place."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from http import HTTPStatus
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot import admin, announcements, finder, handlers, knowledge, limits
from bot.announcements import Deliverer
from bot.assistant import Assistant
from bot.config import Settings
from bot.limits import ChatOrderedProcessor, RateLimit
from bot.runtime import Runtime
from bot.semantic import SemanticUnavailable, make_embedder
from bot.storage import Storage

logger = logging.getLogger(__name__)

COMMANDS = {
    "en": [
        ("start", "What I can do"),
        ("topics", "Browse topics"),
        ("finder", "Which action fits me?"),
        ("events", "Upcoming workshops"),
        ("subscribe", "Get announcements"),
        ("contact", "Talk to a person"),
        ("language", "English or Polish"),
        ("help", "All commands"),
    ],
    "pl": [
        ("start", "Co potrafię"),
        ("topics", "Tematy"),
        ("finder", "Która akcja dla mnie?"),
        ("events", "Najbliższe warsztaty"),
        ("subscribe", "Powiadomienia"),
        ("contact", "Rozmowa z człowiekiem"),
        ("language", "Polski lub angielski"),
        ("help", "Wszystkie polecenia"),
    ],
}


def build_application(
    settings: Settings, rate_limit: bool = True, watch_knowledge: bool = True
) -> Application:  # type: ignore[type-arg]
    """The whole bot: builder settings, lifecycle hooks and every handler, in order."""
    builder = (
        ApplicationBuilder()
        .token(settings.token or "")
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_url.replace("/bot", "/file/bot"))
        .defaults(Defaults(tzinfo=settings.timezone))
        # Chats are served side by side; one chat's updates keep their order.
        .concurrent_updates(ChatOrderedProcessor())
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if rate_limit:
        # max_retries=0: a RetryAfter reaches the outbox, which reschedules the row itself.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=0))
    app = builder.build()
    app.bot_data["settings"] = settings
    app.bot_data["watch_knowledge"] = watch_knowledge
    app.bot_data["message_limit"] = RateLimit(limits.MESSAGES_PER_MINUTE, 60)
    app.bot_data["contact_limit"] = RateLimit(limits.CONTACTS_PER_HOUR, 3600)

    # A user over the message limit gets one notice, then nothing until the minute is over.
    app.add_handler(TypeHandler(Update, handlers.fair_use), group=-2)
    # Timing and one log line per update, around everything else.
    app.add_handler(TypeHandler(Update, handlers.mark_start), group=-1)
    app.add_handler(TypeHandler(Update, handlers.log_done), group=99)
    # Commands everyone can use.
    app.add_handler(CommandHandler("start", handlers.start))
    app.add_handler(CommandHandler("help", handlers.help_command))
    app.add_handler(CommandHandler("topics", handlers.topics))
    app.add_handler(CommandHandler("language", handlers.language))
    app.add_handler(CommandHandler("contact", handlers.contact))
    app.add_handler(CommandHandler("privacy", handlers.privacy))
    app.add_handler(CommandHandler("forget", handlers.forget))
    app.add_handler(CommandHandler("finder", finder.finder_command))
    app.add_handler(CommandHandler("events", announcements.events_command))
    app.add_handler(CommandHandler("subscribe", announcements.subscribe))
    app.add_handler(CommandHandler("unsubscribe", announcements.unsubscribe))
    app.add_handler(CommandHandler("subscriptions", announcements.subscriptions))
    # Staff commands: anyone else gets the unknown-command reply.
    app.add_handler(CommandHandler("stats", admin.stats))
    app.add_handler(CommandHandler("unanswered", admin.unanswered))
    app.add_handler(CommandHandler("reload", admin.reload))
    app.add_handler(CommandHandler("announce", announcements.announce))
    # A staff member replying to a forwarded question in the staff chat.
    if settings.staff_chat_id is not None:
        app.add_handler(
            MessageHandler(
                filters.Chat(settings.staff_chat_id) & filters.REPLY & filters.TEXT,
                handlers.staff_reply,
            )
        )
    app.add_handler(MessageHandler(filters.COMMAND, handlers.unknown_command))
    # Free-text questions, then every button.
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handlers.question))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_error_handler(handlers.on_error)
    return app


async def _post_init(app: Application) -> None:  # type: ignore[type-arg]
    settings: Settings = app.bot_data["settings"]
    started = time.perf_counter()
    result = knowledge.load(settings.knowledge_dir)
    if result.kb is None:
        for problem in result.errors:
            logger.error("%s", problem)
        raise SystemExit(
            f"The knowledge base in {settings.knowledge_dir} has "
            f"{len(result.errors)} error(s); run `python -m bot validate`."
        )
    try:
        embedder = make_embedder(settings.semantic, settings.cache_dir)
    except SemanticUnavailable as exc:
        raise SystemExit(f"Configuration error: {exc}") from None
    # The first start embeds every phrasing (~30 s); later starts read the cache.
    assistant = await asyncio.to_thread(Assistant, result.kb, embedder=embedder)
    storage = await Storage.open(settings.db_path)
    rt = Runtime(settings, storage, assistant)
    app.bot_data["runtime"] = rt
    stats = await storage.stats()
    logger.info(
        "ready: %d knowledge entries (en, pl), %d deadlines, %d events, %d subscribers, "
        "matching %s, loaded in %.0f ms",
        len(result.kb.entries),
        len(result.kb.deadlines),
        len(result.kb.events),
        stats["subscribers"],
        "words and meaning" if embedder else "words only",
        (time.perf_counter() - started) * 1000,
    )
    for lang, commands in COMMANDS.items():
        with contextlib.suppress(Exception):  # the menu is a nicety; never block start-up on it
            await app.bot.set_my_commands(
                [BotCommand(c, d) for c, d in commands],
                language_code=None if lang == "en" else lang,
            )

    deliverer = Deliverer(
        storage,
        lambda chat_id, text: app.bot.send_message(
            chat_id, text, parse_mode="HTML", disable_web_page_preview=True
        ),
    )
    app.bot_data["deliverer"] = deliverer
    app.bot_data["delivery_task"] = asyncio.create_task(deliverer.run(), name="deliveries")
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            announcements.plan_job, interval=60, first=1, name="plan-announcements"
        )
        app.job_queue.run_repeating(
            _purge_job, interval=24 * 3600, first=30, name="purge-old-questions"
        )
    if app.bot_data.get("watch_knowledge"):
        from bot.reloading import watch

        app.bot_data["watch_task"] = asyncio.create_task(watch(app), name="knowledge-watch")


async def _purge_job(context: handlers.Context) -> None:
    """Delete personal data older than the retention period (BOT_RETENTION_DAYS)."""
    rt: Runtime = context.application.bot_data["runtime"]
    removed = await rt.storage.purge_old(rt.settings.retention_days)
    if removed:
        logger.info("purged %d row(s) older than %d days", removed, rt.settings.retention_days)


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    for name in ("watch_task", "delivery_task"):
        task = app.bot_data.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    rt = app.bot_data.get("runtime")
    if isinstance(rt, Runtime):
        await rt.storage.close()
    logger.info("stopped cleanly")


def check_secret_in_constant_time() -> None:
    """Make PTB's webhook handler compare the secret header with hmac.compare_digest.

    PTB compares it with ``!=``, whose time depends on how many leading characters match.
    """
    from telegram.ext._utils import webhookhandler  # the handler class has no public hook
    from tornado.web import HTTPError

    def validate(self: webhookhandler.TelegramHandler) -> None:
        if self.request.headers.get("Content-Type") != "application/json":
            raise HTTPError(HTTPStatus.FORBIDDEN)
        if self.secret_token is not None:
            sent = self.request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(sent.encode(), self.secret_token.encode()):
                raise HTTPError(HTTPStatus.FORBIDDEN, reason="wrong or missing secret token")

    webhookhandler.TelegramHandler._validate_post = validate  # type: ignore[method-assign]


def run_bot(settings: Settings) -> int:
    """Long polling (or a webhook when BOT_WEBHOOK_URL is set) until SIGINT/SIGTERM."""
    app = build_application(settings)
    if settings.webhook_url:
        check_secret_in_constant_time()
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            webhook_url=settings.webhook_url,
            # Serve on the same path Telegram is told to post to.
            url_path=urlsplit(settings.webhook_url).path.lstrip("/"),
            # Telegram echoes this header back, so forged updates from others are refused.
            secret_token=settings.webhook_secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
