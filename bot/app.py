"""The composition root: build the Telegram application, register every handler in one place."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import signal
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    Updater,
    filters,
)
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential,
)

from bot import admin, announcements, finder, handlers, knowledge, limits
from bot.announcements import Deliverer
from bot.assistant import Assistant
from bot.config import Settings
from bot.limits import ChatOrderedProcessor, RateLimit
from bot.runtime import Runtime
from bot.semantic import NotCached, SemanticUnavailable, make_embedder
from bot.storage import Storage

logger = logging.getLogger(__name__)

# Seconds the outbox may take at shutdown to finish the messages in flight.
STOP_GRACE = 3.0

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
        .post_stop(_post_stop)
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
        embedder = make_embedder(settings.semantic, settings.cache_dir, settings.embed_threads)
    except SemanticUnavailable as exc:
        raise SystemExit(f"Configuration error: {exc}") from None
    assistant: Assistant | None = None
    if embedder is not None:
        try:  # a warm cache: words and meaning from the first message, well under a second
            with embedder.cached_only():
                assistant = await asyncio.to_thread(
                    Assistant, result.kb, embedder=embedder, tz=settings.timezone
                )
        except NotCached as exc:
            logger.info(
                "embedding the phrasings for the meaning index (%s); answering on words "
                "alone until it is ready",
                exc,
            )
    meaning_ready = embedder is None or assistant is not None
    if assistant is None:
        assistant = await asyncio.to_thread(Assistant, result.kb, tz=settings.timezone)
    storage = await Storage.open(settings.db_path)
    rt = Runtime(settings, storage, assistant, embedder=embedder, meaning_ready=meaning_ready)
    app.bot_data["runtime"] = rt
    if not meaning_ready:
        app.bot_data["meaning_task"] = asyncio.create_task(rt.add_meaning(), name="meaning")
    stats = await storage.stats()
    logger.info(
        "ready: %d knowledge entries (en, pl), %d deadlines, %d events, %d subscribers, "
        "matching %s, loaded in %.0f ms",
        len(result.kb.entries),
        len(result.kb.deadlines),
        len(result.kb.events),
        stats["subscribers"],
        "words and meaning"
        if meaning_ready
        else "words only"
        if embedder is None
        else "words only until the meaning index is ready",
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
        send_item=lambda item: app.bot.send_message(
            item.chat_id,
            item.text,
            parse_mode="HTML",
            disable_web_page_preview=True,
            reply_markup=handlers.keyboard((announcements.unsubscribe_row(item),)),
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


async def _post_stop(app: Application) -> None:  # type: ignore[type-arg]
    """After the updates stop, before the HTTP client closes: let the outbox finish the
    messages in flight, and stop the background tasks. Safe to call twice."""
    rt = app.bot_data.get("runtime")
    if isinstance(rt, Runtime) and rt.embedder is not None:
        rt.embedder.close()  # a cold start's worker thread stops after its current batch
    deliverer = app.bot_data.get("deliverer")
    delivery = app.bot_data.pop("delivery_task", None)
    if isinstance(deliverer, Deliverer) and delivery is not None:
        # A row is marked sent only after Telegram answered: finish those in flight, start no
        # new one; cancel only what still waits after the grace period (it stays pending).
        deliverer.stopping = True
        deliverer.wake.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(delivery), STOP_GRACE)
        if not delivery.done():
            delivery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivery
    for name in ("watch_task", "meaning_task"):
        task = app.bot_data.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    await _post_stop(app)  # when the application was stopped without it (tests)
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


def webhook_options(settings: Settings) -> dict[str, Any]:
    """How the webhook server listens: loopback unless BOT_WEBHOOK_LISTEN says otherwise, on
    the path Telegram posts to, with the secret Telegram echoes back (forged updates lack it)."""
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "webhook_url": settings.webhook_url,
        "url_path": urlsplit(settings.webhook_url or "").path.lstrip("/"),
        "secret_token": settings.webhook_secret,
        "allowed_updates": Update.ALL_TYPES,
    }


def run_bot(settings: Settings) -> int:
    """Long polling (or a webhook when BOT_WEBHOOK_URL is set) until SIGINT/SIGTERM.

    Exit code 0 after a clean stop, 2 when Telegram refuses the token. An unreachable API is
    one log line per attempt and a retry with backoff, never a traceback.
    """
    return asyncio.run(_serve(build_application(settings), settings))


async def _serve(app: Application, settings: Settings) -> int:  # type: ignore[type-arg]
    """What Application.run_polling does, with the start-up retries and stop signals our own."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(OneLineNetworkErrors())
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    connecting = asyncio.create_task(_connect(app), name="connect")
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if not connecting.done():
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting
        logger.info("stopped before Telegram was reached")
        return 0
    stopping.cancel()
    if isinstance(connecting.exception(), InvalidToken):
        logger.error("Telegram refused the bot token: check TELEGRAM_BOT_TOKEN (from @BotFather)")
        return 2
    connecting.result()  # anything else unexpected: a traceback is then the right thing
    updater = app.updater
    assert updater is not None
    try:
        await _post_init(app)
        if settings.webhook_url:
            check_secret_in_constant_time()
            await updater.start_webhook(**webhook_options(settings), bootstrap_retries=-1)
        else:
            await updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=NetworkTrouble()
            )
        await app.start()
        logger.info("%s", "serving the webhook" if settings.webhook_url else "polling Telegram")
        await stop.wait()
    finally:
        # The long poll in progress is abandoned at once; updates already fetched are handled
        # (and confirmed to Telegram) before the application stops, so none is lost or twice.
        if updater.running:
            await _stop_updater(updater)
        if app.running:
            await app.stop()
        await _post_stop(app)
        await app.shutdown()
        await _post_shutdown(app)
    return 0


async def _stop_updater(updater: Updater) -> None:  # type: ignore[type-arg]
    """Updater.stop(), without waiting out a backoff pause of up to 30 s when offline: the
    polling loop is then cancelled (Updater.stop expects that), and the updates it fetched but
    did not confirm come again at the next start."""
    stopping = asyncio.create_task(updater.stop())
    done, _ = await asyncio.wait({stopping}, timeout=1)
    if not done:
        for task in asyncio.all_tasks():
            if task.get_name() == "Updater:start_polling:polling_task":
                task.cancel()
    await stopping


class OneLineNetworkErrors(logging.Filter):
    """python-telegram-bot logs a failed network call with its traceback (e.g. the last
    getUpdates at shutdown while offline): a known condition, so one line with the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, NetworkError) and record.name.startswith("telegram"):
            record.msg = f"{record.getMessage()}: {_reason(error)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _retrying(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0
    logger.warning("cannot reach the Telegram API: %s; retrying in %.0f s", _reason(error), wait)


async def _connect(app: Application) -> None:  # type: ignore[type-arg]
    """getMe until it works: backoff from 1 s doubling to 60 s; a refused token is final."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception_type(NetworkError),
        wait=wait_exponential(multiplier=1, min=1, max=60),
        before_sleep=_retrying,
        reraise=True,
    ):
        with attempt:
            await app.initialize()


def _reason(error: BaseException | None) -> str:
    text = str(error) if error is not None else "unknown error"
    return text.removeprefix("httpx.").strip() or type(error).__name__


class NetworkTrouble:
    """The polling loop's error callback: one line per failed getUpdates, no traceback.

    python-telegram-bot retries by itself, waiting 1 s, then 1.5 times longer each time up
    to 30 s; this mirrors that count to say how long, and starts over after a quiet spell.
    """

    def __init__(self) -> None:
        self.delay = 0.0
        self.last = 0.0

    def __call__(self, error: TelegramError) -> None:
        now = time.monotonic()
        if now - self.last > self.delay + 30:  # polling worked in between
            self.delay = 0.0
        self.delay = 1.0 if self.delay == 0 else min(30.0, 1.5 * self.delay)
        self.last = now
        if isinstance(error, NetworkError):
            logger.warning(
                "cannot reach the Telegram API: %s; retrying in %.0f s", _reason(error), self.delay
            )
        else:
            logger.warning("Telegram answered getUpdates with an error: %s", error)
