"""Telegram handlers: read the update, call the assistant, reply. Nothing else lives here."""

from __future__ import annotations

import asyncio
import html
import logging
import sqlite3
import time

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.assistant import Button, Reply
from bot.runtime import runtime
from bot.texts import t

logger = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
MAX_CONTACT = 3000  # characters of a question forwarded to staff


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    """Assistant buttons as an inline keyboard; https actions become URL buttons."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label[:64], url=b.action)
                if b.action.startswith("https://")
                else InlineKeyboardButton(b.label[:64], callback_data=b.action)
                for b in row
            ]
            for row in rows
        ]
    )


async def send(update: Update, reply: Reply, edit: bool = False) -> Message | None:
    """Send (or, for a button press, edit in place) one assistant reply."""
    markup = keyboard(reply.buttons)
    if edit and update.callback_query and update.callback_query.message:
        try:
            result = await update.callback_query.edit_message_text(
                reply.text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                disable_web_page_preview=True,
            )
            return result if isinstance(result, Message) else None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            logger.info("could not edit a message (%s); sending a new one", exc)
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(
        reply.text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
    )


async def user_lang(update: Update, context: Context) -> str:
    """The language remembered for this user (English for a new user)."""
    user = update.effective_user
    if user is None:
        return "en"
    cached = context.user_data.get("lang") if context.user_data is not None else None
    if cached:
        return str(cached)
    try:
        stored, pinned = await runtime(context).storage.language_choice(user.id)
    except sqlite3.Error as exc:  # the answer matters more than the remembered language
        logger.warning("could not read the language choice: %s", exc)
        stored, pinned = None, False
    lang = stored or ("pl" if (user.language_code or "").startswith("pl") else "en")
    if context.user_data is not None:
        context.user_data["lang"] = lang
        context.user_data["lang_pinned"] = pinned
    return lang


async def remember_lang(update: Update, context: Context, lang: str, pinned: bool = False) -> None:
    """Remember the language; ``pinned`` when the user chose it with /language."""
    if update.effective_user is None or context.user_data is None:
        return
    if context.user_data.get("lang") != lang or pinned:
        context.user_data["lang"] = lang
        context.user_data["lang_pinned"] = context.user_data.get("lang_pinned") or pinned
        user_id = update.effective_user.id
        storage = runtime(context).storage
        await storage.best_effort(
            "a language choice", lambda: storage.set_user_language(user_id, lang, pinned)
        )


# -- commands ------------------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """Say what the bot can do, in the user's language."""
    lang = await user_lang(update, context)
    if update.effective_user:
        await runtime(context).storage.touch_user(update.effective_user.id)
    rows = (
        (Button("📚 /topics", "topics"), Button("🧭 /finder", "finder")),
        (Button("📅 /events", "events"), Button("🔔 /subscribe", "subscribe")),
    )
    await send(update, Reply(t("start", lang), rows, lang=lang))


async def help_command(update: Update, context: Context) -> None:
    """List the commands."""
    lang = await user_lang(update, context)
    await send(update, Reply(t("help", lang), lang=lang))


async def topics(update: Update, context: Context) -> None:
    """Browse groups of topics with buttons."""
    lang = await user_lang(update, context)
    await send(update, runtime(context).assistant.topics_reply(lang))


async def language(update: Update, context: Context) -> None:
    """Let the user choose English or Polish (or set it directly: /language pl)."""
    lang = await user_lang(update, context)
    if context.args and context.args[0].lower() in ("en", "pl"):
        await remember_lang(update, context, context.args[0].lower(), pinned=True)
        await send(update, Reply(t("language_set", context.args[0].lower())))
        return
    rows = ((Button("🇬🇧 English", "lang:en"), Button("🇵🇱 Polski", "lang:pl")),)
    await send(update, Reply(t("choose_language", lang), rows, lang=lang))


async def privacy(update: Update, context: Context) -> None:
    """Say what is stored and for how long."""
    lang = await user_lang(update, context)
    days = runtime(context).settings.retention_days
    await send(update, Reply(t("privacy", lang, days=days), lang=lang))


async def forget(update: Update, context: Context) -> None:
    """Ask before deleting everything stored about the user."""
    lang = await user_lang(update, context)
    rows = ((Button(t("forget_yes", lang), "forget:yes"), Button(t("cancel", lang), "cancel")),)
    await send(update, Reply(t("forget_confirm", lang), rows, lang=lang))


async def contact(update: Update, context: Context) -> None:
    """Offer to forward the last unanswered question (or a new one) to staff."""
    lang = await user_lang(update, context)
    settings = runtime(context).settings
    if settings.staff_chat_id is None:
        entry = runtime(context).assistant.entry_reply("contact-staff", lang)
        text = t("contact_unavailable", lang) + "\n\n" + entry.text
        await send(update, Reply(text, lang=lang))
        return
    user_data = context.user_data if context.user_data is not None else {}
    question = " ".join(context.args or []) or user_data.get("last_question")
    if not question:
        user_data["awaiting_contact"] = True
        await send(update, Reply(t("contact_ask", lang), lang=lang))
        return
    if len(question) > MAX_CONTACT:  # Telegram takes 4096 characters; the rest is framing
        question = question[: MAX_CONTACT - 1] + "…"
    user_data["contact_question"] = question
    rows = ((Button(t("contact_send", lang), "contact:yes"), Button(t("cancel", lang), "cancel")),)
    await send(
        update, Reply(t("contact_confirm", lang, question=html.escape(question)), rows, lang=lang)
    )


async def unknown_command(update: Update, context: Context) -> None:
    """Any command the bot does not know (and admin commands for non-admins)."""
    lang = await user_lang(update, context)
    await send(update, Reply(t("unknown_command", lang), lang=lang))


# -- questions -----------------------------------------------------------------------------------


async def question(update: Update, context: Context) -> None:
    """Answer a free-text question from the knowledge base."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.text is None:
        return
    rt = runtime(context)
    user_data = context.user_data if context.user_data is not None else {}
    if user_data.pop("awaiting_contact", False):
        context.args = message.text.split()
        await contact(update, context)
        return
    if rt.assistant.wants_human(message.text):
        context.args = []
        await contact(update, context)
        return
    preferred = await user_lang(update, context)
    pinned = bool(user_data.get("lang_pinned"))
    # In a worker thread: matching by meaning is ~30 ms of C code that releases the GIL, so
    # deliveries and other jobs on the event loop go on meanwhile.
    reply = await asyncio.to_thread(rt.assistant.answer, message.text, preferred, pinned)
    if reply.lang in ("en", "pl"):
        await remember_lang(update, context, reply.lang)
    score = reply.ranking.best.score if reply.ranking and reply.ranking.best else 0.0
    if reply.kind in ("decline", "choice", "guess"):
        user_data["last_question"] = message.text[:1000]
    context.bot_data.setdefault("outcome", {})[update.update_id] = (
        f"lang={reply.lang} outcome={reply.kind} entry={reply.entry_id} score={score:.1f}"
    )
    # The answer goes out first: a full disk or a locked database costs the log row, not it.
    await send(update, reply)
    text = message.text[:2000]

    async def record() -> None:
        await rt.storage.touch_user(user.id)
        await rt.storage.log_question(user.id, text, reply.lang, reply.kind, reply.entry_id, score)

    await rt.storage.best_effort("a question", record)


# -- buttons -------------------------------------------------------------------------------------


async def button(update: Update, context: Context) -> None:
    """Every inline button: answered at once, then acted on."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    rt = runtime(context)
    lang = await user_lang(update, context)
    kind, _, value = query.data.partition(":")
    if kind == "fb":
        vote, _, entry_id = value.partition(":")
        if vote not in ("+", "-") or rt.kb.entry(entry_id) is None:
            await query.answer(t("outdated", lang))
            return
        positive = vote == "+"
        await query.answer(t("thanks_feedback" if positive else "thanks_negative", lang))
        await rt.storage.add_feedback(query.from_user.id, entry_id, 1 if positive else -1)
        return
    if kind == "lang" and value in ("en", "pl"):
        await query.answer()
        await remember_lang(update, context, value, pinned=True)
        await send(update, Reply(t("language_set", value), lang=value), edit=True)
        return
    if kind == "forget" and value == "yes":
        await query.answer()
        await rt.storage.forget_user(query.from_user.id)
        if context.user_data is not None:
            context.user_data.clear()
        await send(update, Reply(t("forgotten", lang), lang=lang), edit=True)
        return
    if kind == "contact" and value == "yes":
        await query.answer()
        await forward_to_staff(update, context, lang)
        return
    if query.data == "cancel":
        await query.answer()
        if context.user_data is not None:
            context.user_data.pop("contact_question", None)
        await send(update, Reply(t("contact_cancelled", lang), lang=lang), edit=True)
        return
    if kind == "e" and rt.kb.entry(value) is not None:
        await query.answer()
        await send(update, rt.assistant.entry_reply(value, lang))
        return
    if kind == "more" and value in rt.kb.entries:
        await query.answer()
        await send(update, rt.assistant.entry_reply(value, lang, full=True), edit=True)
        return
    if kind == "src" and value in rt.kb.entries:
        await query.answer()
        await send(update, rt.assistant.sources_reply(value, lang))
        return
    if kind == "g" and any(g.id == value for g in rt.kb.groups):
        await query.answer()
        await send(update, rt.assistant.group_reply(value, lang), edit=True)
        return
    if query.data == "topics":
        await query.answer()
        await send(update, rt.assistant.topics_reply(lang), edit=True)
        return
    if query.data == "contact":
        await query.answer()
        context.args = []
        await contact(update, context)
        return
    from bot import announcements, finder

    if await finder.on_button(update, context, lang):
        return
    if await announcements.on_button(update, context, lang):
        return
    await query.answer(t("outdated", lang))


async def forward_to_staff(update: Update, context: Context, lang: str) -> None:
    rt = runtime(context)
    user = update.effective_user
    chat = update.effective_chat
    user_data = context.user_data if context.user_data is not None else {}
    text = user_data.pop("contact_question", None)
    if user is None or chat is None or not text or rt.settings.staff_chat_id is None:
        await send(update, Reply(t("outdated", lang), lang=lang), edit=True)
        return
    limit = context.bot_data["contact_limit"]
    if limit.hit(user.id) != "ok":
        await send(update, Reply(t("contact_limit", lang, n=limit.limit), lang=lang), edit=True)
        return
    name = html.escape(user.full_name) + (
        f" (@{html.escape(user.username)})" if user.username else ""
    )
    staff = await context.bot.send_message(
        rt.settings.staff_chat_id,
        f"❓ <b>Question from {name}</b> [{lang}]\n\n{html.escape(text)}\n\n"
        "<i>Reply to this message to answer; the reply goes to the person.</i>",
        parse_mode=ParseMode.HTML,
    )
    await rt.storage.save_handoff(staff.message_id, user.id, chat.id, text)
    await send(update, Reply(t("contact_sent", lang), lang=lang), edit=True)


async def staff_reply(update: Update, context: Context) -> None:
    """A reply in the staff chat to a forwarded question goes back to the person who asked."""
    message = update.effective_message
    if message is None or message.reply_to_message is None or not message.text:
        return
    rt = runtime(context)
    chat_id = await rt.storage.handoff_chat(message.reply_to_message.message_id)
    if chat_id is None:
        return
    lang = await rt.storage.user_language(chat_id) or "en"
    await context.bot.send_message(
        chat_id, t("staff_reply", lang, text=html.escape(message.text)), parse_mode=ParseMode.HTML
    )
    await message.reply_text("✅ Delivered.")


# -- fair use ------------------------------------------------------------------------------------


async def fair_use(update: Update, context: Context) -> None:
    """First of all (group -2): past the per-user message limit, one notice, then silence."""
    user = update.effective_user
    rt = runtime(context)
    if user is None or user.id in rt.settings.admins:
        return
    if update.effective_chat and update.effective_chat.id == rt.settings.staff_chat_id:
        return
    verdict = context.bot_data["message_limit"].hit(user.id)
    if verdict == "ok":
        return
    logger.info("update=%s over the message limit (%s)", update.update_id, verdict)
    if update.callback_query:
        await update.callback_query.answer()
    if verdict == "notice" and update.effective_chat:
        lang = str((context.user_data or {}).get("lang") or "en")
        await update.effective_chat.send_message(t("slow_down", lang))
    raise ApplicationHandlerStop


# -- logging -------------------------------------------------------------------------------------


async def mark_start(update: Update, context: Context) -> None:
    """First in every update (group -1): remember when handling began."""
    context.bot_data.setdefault("started", {})[update.update_id] = time.perf_counter()


async def log_done(update: Update, context: Context) -> None:
    """Last in every update: one log line with the update id, what it was and how long it took.

    Message text is never logged (privacy); at DEBUG level the length is.
    """
    started = context.bot_data.get("started", {}).pop(update.update_id, None)
    took = (time.perf_counter() - started) * 1000 if started else -1.0
    if update.callback_query:
        what = f"button={(update.callback_query.data or '').split(':', 1)[0]}"
    elif update.effective_message and (update.effective_message.text or "").startswith("/"):
        what = f"command={(update.effective_message.text or '').split()[0][:32]}"
    else:
        what = "message " + context.bot_data.get("outcome", {}).pop(update.update_id, "")
    logger.info("update=%s %s ms=%.1f", update.update_id, what.strip(), took)


# -- errors --------------------------------------------------------------------------------------


async def on_error(update: object, context: Context) -> None:
    """Log first, then apologise to the user; the bot keeps running."""
    logger.error("unhandled error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        lang = "en"
        if context.user_data and context.user_data.get("lang"):
            lang = str(context.user_data["lang"])
        try:
            if update.callback_query:
                await update.callback_query.answer()
            await update.effective_chat.send_message(t("apology", lang))
        except Exception:
            logger.warning("could not send the apology", exc_info=True)
