"""The assistant's own words (not Erasmus+ facts, which live in knowledge/), in each language."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from babel import Locale

# A text is one string, or for a count (``days``) one string per CLDR plural category of the
# language ("one", "few", "many", "other"; "other" is required): Polish says "za 1 dzień" but
# "za 2 dni" and "za 5 dni", and Babel's plural rules pick the form.
Text = str | dict[str, str]

TEXTS: dict[str, dict[str, Text]] = {
    "start": {
        "en": "👋 Hello! I answer questions about <b>Erasmus+</b> funding — studying or training "
        "abroad, staff mobility, KA1 and KA2 projects, deadlines — from a knowledge base "
        "kept by the Erasmus+ InnHUB team at Bialystok University of Technology, always "
        "with the official source.\n\nJust type your question, in English or Polish. "
        "Or try:\n/topics — browse all topics\n/finder — which action fits me?\n"
        "/events — upcoming workshops\n/subscribe — get announcements\n"
        "/contact — talk to a person\n/language — change language\n/help — all commands",
        "pl": "👋 Dzień dobry! Odpowiadam na pytania o dofinansowanie w ramach <b>Erasmusa+</b> "
        "– studia i "
        "praktyki za granicą, wyjazdy kadry, projekty KA1 i KA2, terminy – na podstawie "
        "bazy wiedzy prowadzonej przez zespół Erasmus+ InnHUB Politechniki Białostockiej, "
        "zawsze z oficjalnym źródłem.\n\nNapisz pytanie po polsku lub angielsku. "
        "Albo wybierz:\n/topics – wszystkie tematy\n/finder – która akcja jest dla mnie?\n"
        "/events – najbliższe warsztaty\n/subscribe – zapisz się na powiadomienia\n"
        "/contact – rozmowa z pracownikiem biura\n/language – zmiana języka\n"
        "/help – wszystkie polecenia",
    },
    "help": {
        "en": "<b>How to use me</b>\nType a question the way you would ask a person, e.g. "
        "<i>how much is the Erasmus grant in Spain</i> or <i>next deadline KA210</i>.\n\n"
        "/topics — browse topics\n/finder — find the action that fits you\n"
        "/events — upcoming workshops and info sessions\n"
        "/subscribe, /unsubscribe, /subscriptions — announcements\n"
        "/contact — send your question to a person\n/language — English or Polish\n"
        "/privacy — what I store · /forget — delete it",
        "pl": "<b>Jak ze mną rozmawiać</b>\nNapisz pytanie zwykłymi słowami, tak jak w rozmowie, "
        "np. <i>ile wynosi stypendium Erasmusa w Hiszpanii</i> albo <i>najbliższy termin "
        "KA210</i>.\n\n/topics – tematy\n/finder – która akcja jest dla mnie?\n"
        "/events – najbliższe warsztaty i spotkania\n"
        "/subscribe, /unsubscribe, /subscriptions – powiadomienia\n"
        "/contact – przekaż pytanie pracownikowi biura\n/language – polski lub angielski\n"
        "/privacy – co przechowuję · /forget – usuń moje dane",
    },
    "handoff": {
        "en": "👤 I can pass your question to a person at the International Relations Office. "
        "Press /contact.",
        "pl": "👤 Mogę przekazać Twoje pytanie pracownikowi Biura Współpracy Międzynarodowej. "
        "Użyj /contact.",
    },
    "did_you_mean": {
        "en": "I am not sure I understood. Did you mean one of these?",
        "pl": "Nie wiem, czy dobrze rozumiem. Czy chodzi Ci o któryś z tych tematów?",
    },
    "outside": {
        "en": "ℹ️ {reply}\n\nI answer questions about Erasmus+ only. If you meant Erasmus+, "
        "pick a topic below, or browse the /topics.",
        "pl": "ℹ️ {reply}\n\nOdpowiadam tylko na pytania o Erasmus+. Jeśli chodziło o Erasmus+, "
        "wybierz temat poniżej albo przejrzyj /topics.",
    },
    "or_outside": {
        "en": "Or, if you meant something else: {reply}",
        "pl": "A jeśli chodziło o coś innego: {reply}",
    },
    "which_one": {
        "en": "Your question could fit several topics. Which one do you mean?",
        "pl": "To pytanie pasuje do kilku tematów. O który chodzi?",
    },
    "empty": {
        "en": "Please type a question, e.g. <i>how long can I study abroad with Erasmus+?</i>",
        "pl": "Napisz pytanie, np. <i>jak długo mogę studiować za granicą w ramach Erasmusa+?</i>",
    },
    "too_long": {
        "en": "That message is very long; I read only its first {limit} characters. "
        "A short question works best.",
        "pl": "Ta wiadomość jest bardzo długa; czytam tylko pierwsze {limit} znaków. "
        "Najlepiej zadać krótkie pytanie.",
    },
    "other_language": {
        "en": "ℹ️ I speak English and Polish; here is my answer in English.",
        "pl": "ℹ️ Mówię po polsku i angielsku; oto odpowiedź po angielsku.",
    },
    "fallback_note": {
        "en": "ℹ️ This answer is not yet available in English; here it is in Polish.",
        "pl": "ℹ️ Ta odpowiedź nie jest jeszcze dostępna po polsku; oto wersja angielska.",
    },
    "sources": {"en": "Sources", "pl": "Źródła"},
    "holds_for_call": {
        "en": "Holds for the {year} call · verified {verified}",
        "pl": "Dotyczy naboru {year} · sprawdzono {verified}",
    },
    "holds_for_calls": {
        "en": "Holds for the {year} calls · verified {verified}",
        "pl": "Dotyczy naborów {year} · sprawdzono {verified}",
    },
    "holds_for_programme": {
        "en": "Holds for the {year} programme · verified {verified}",
        "pl": "Dotyczy programu na lata {year} · sprawdzono {verified}",
    },
    "topics": {"en": "📚 Choose a topic group:", "pl": "📚 Wybierz grupę tematów:"},
    "back": {"en": "⬅ Back", "pl": "⬅ Wstecz"},
    "helpful": {"en": "👍 Helpful", "pl": "👍 Pomogło"},
    "not_helpful": {"en": "👎 Not helpful", "pl": "👎 Nie pomogło"},
    "thanks_feedback": {"en": "Thank you for the feedback!", "pl": "Dziękuję za ocenę!"},
    "thanks_negative": {
        "en": "Thank you. The team will look at this answer. Use /contact to ask a person.",
        "pl": "Dziękuję. Zespół przejrzy tę odpowiedź. Użyj /contact, by zapytać pracownika "
        "biura.",
    },
    "language_set": {"en": "I will answer in English.", "pl": "Będę odpowiadać po polsku."},
    "choose_language": {"en": "Choose your language:", "pl": "Wybierz język:"},
    "apology": {
        "en": "😕 Sorry, something went wrong on my side. Please try again in a moment.",
        "pl": "😕 Przepraszam, wystąpił błąd. Spróbuj ponownie za chwilę.",
    },
    "unknown_command": {
        "en": "I don't know that command. /help lists what I can do.",
        "pl": "Nie znam tego polecenia. /help pokazuje, co potrafię.",
    },
    "outdated": {"en": "This button is out of date.", "pl": "Ten przycisk jest nieaktualny."},
    "deadline_next": {
        "en": "📅 <b>Next deadline: {title}</b>{round}\n<b>{due}</b> (Brussels time), "
        "{call} call{managed}.",
        "pl": "📅 <b>Najbliższy termin: {title}</b>{round}\n<b>{due}</b> (czasu brukselskiego), "
        "nabór {call}{managed}.",
    },
    "deadline_passed": {
        "en": "📅 <b>{title}</b>: the last round I have a date for closed on <b>{due}</b> "
        "(Brussels time, {call} call); <b>it has passed</b>. The next dates are published by "
        "the European Commission in its annual call for proposals and Programme Guide, in "
        "recent years in November (erasmus-plus.ec.europa.eu; in Poland also FRSE, "
        "erasmusplus.org.pl). I will not guess them.",
        "pl": "📅 <b>{title}</b>: ostatnia runda, której termin znam, zakończyła się "
        "<b>{due}</b> (czasu brukselskiego, nabór {call}) – <b>termin już minął</b>. Kolejne "
        "terminy publikuje Komisja Europejska w corocznym zaproszeniu do składania wniosków "
        "i Przewodniku po programie, w ostatnich latach w listopadzie "
        "(erasmus-plus.ec.europa.eu; w Polsce także FRSE, erasmusplus.org.pl). Nie będę ich "
        "zgadywać.",
    },
    "deadline_round": {"en": " — round {round}", "pl": " – runda {round}"},
    "deadline_later": {"en": "Later: {items}", "pl": "Później: {items}"},
    "managed_na": {
        "en": ", submitted to your national agency",
        "pl": ", wniosek składa się w agencji narodowej",
    },
    "managed_eacea": {
        "en": ", submitted to EACEA (Brussels)",
        "pl": ", wniosek składa się w EACEA (Bruksela)",
    },
    "deadline_source": {"en": "Source", "pl": "Źródło"},
    "in_days": {
        "en": {"one": "in {days} day", "other": "in {days} days"},
        "pl": {"one": "za {days} dzień", "other": "za {days} dni"},
    },
    "today": {"en": "today", "pl": "dzisiaj"},
    "tomorrow": {"en": "tomorrow", "pl": "jutro"},
    "contact_confirm": {
        "en": "Shall I send this question to a person at the International Relations Office? "
        "They will see your question and your Telegram name, and reply here.\n\n"
        "<i>{question}</i>",
        "pl": "Czy przekazać to pytanie pracownikowi Biura Współpracy Międzynarodowej? Zobaczy "
        "pytanie i Twoją nazwę w Telegramie, a odpowiedź przyjdzie tutaj.\n\n"
        "<i>{question}</i>",
    },
    "contact_ask": {
        "en": "Type your question for the staff in one message; I will ask before sending it.",
        "pl": "Napisz pytanie do pracowników w jednej wiadomości; zapytam, zanim je wyślę.",
    },
    "contact_send": {"en": "✅ Yes, send it", "pl": "✅ Tak, wyślij"},
    "cancel": {"en": "✖ Cancel", "pl": "✖ Anuluj"},
    "contact_sent": {
        "en": "✉️ Sent. A person will reply here, usually within a few working days.",
        "pl": "✉️ Wysłano. Odpowiedź przyjdzie tutaj, zwykle w ciągu kilku dni roboczych.",
    },
    "contact_cancelled": {"en": "Nothing was sent.", "pl": "Nic nie zostało wysłane."},
    "contact_limit": {
        "en": "✉️ You have sent {n} questions to the team in the last hour; please wait for "
        "their reply before sending more.",
        "pl": "✉️ W ciągu ostatniej godziny wysłałeś(-aś) zespołowi {n} pytań; poczekaj na "
        "odpowiedź, zanim wyślesz kolejne.",
    },
    "slow_down": {
        "en": "⏳ That is a lot of messages at once. I will read yours again in a minute.",
        "pl": "⏳ To dużo wiadomości naraz. Przeczytam kolejne za minutę.",
    },
    "contact_unavailable": {
        "en": "Forwarding to staff is not set up in this bot. Here is how to reach the office:",
        "pl": "Przekazywanie pytań nie jest skonfigurowane w tym bocie. Tak można skontaktować "
        "się z biurem:",
    },
    "staff_reply": {
        "en": "💬 <b>Reply from the International Relations Office:</b>\n\n{text}",
        "pl": "💬 <b>Odpowiedź Biura Współpracy Międzynarodowej:</b>\n\n{text}",
    },
    "privacy": {
        "en": "<b>What I store</b>, each for {days} days and then deleted:\n• your Telegram "
        "user id and chosen language (counted from your last message);\n• the questions you "
        "ask and whether I could answer them, so the team can improve the answers;\n• your "
        "👍/👎 ratings;\n• questions you chose to send to staff;\n• which announcements "
        "reached you.\nAlso: your subscription topics, until you /unsubscribe; your answers in "
        "/finder, for 7 days.\n\nA question you send to staff is also copied into the "
        "office's staff chat in Telegram; that copy stays there (ask the office to delete "
        "it). Nothing is shared outside the International Relations Office. /forget deletes "
        "everything I store now.",
        "pl": "<b>Co przechowuję</b>, każde przez {days} dni, potem usuwam:\n• Twój "
        "identyfikator w Telegramie i wybrany język (liczone od ostatniej wiadomości);\n• "
        "zadane pytania i to, czy była na nie odpowiedź, aby zespół mógł poprawiać "
        "odpowiedzi;\n• Twoje oceny 👍/👎;\n• pytania przekazane na Twoją prośbę "
        "pracownikom;\n• które ogłoszenia do Ciebie dotarły.\nPoza tym: tematy subskrypcji, "
        "do /unsubscribe; odpowiedzi w /finder, przez 7 dni.\n\nPytanie przekazane "
        "pracownikom trafia też do czatu biura w Telegramie; ta kopia tam zostaje (o jej "
        "usunięcie poproś biuro). Nic nie jest udostępniane poza Biurem Współpracy "
        "Międzynarodowej. /forget usuwa od razu wszystko, co przechowuję.",
    },
    "forget_confirm": {
        "en": "Delete everything I store about you (questions, ratings, subscription, language)?",
        "pl": "Usunąć wszystko, co o Tobie przechowuję (pytania, oceny, subskrypcję, język)?",
    },
    "forget_yes": {"en": "🗑 Yes, delete", "pl": "🗑 Tak, usuń"},
    "forgotten": {
        "en": "🗑 Done: everything stored about you has been deleted.",
        "pl": "🗑 Gotowe: wszystkie dane o Tobie zostały usunięte.",
    },
    # The finder's own words (its rules live in knowledge/finder.yaml).
    "finder_eligible": {"en": "✅ Eligible", "pl": "✅ Możesz skorzystać"},
    "finder_not_eligible": {"en": "❌ Not eligible", "pl": "❌ Nie możesz skorzystać"},
    "finder_your_answers": {"en": "Your answers", "pl": "Twoje odpowiedzi"},
    "finder_source": {"en": "source", "pl": "źródło"},
    "finder_question": {"en": "Question {n}", "pl": "Pytanie {n}"},
    "finder_holds_for_call": {
        "en": "Rules of the {year} call · verified {verified}",
        "pl": "Zasady naboru {year} · sprawdzono {verified}",
    },
    "finder_holds_for_calls": {
        "en": "Rules of the {year} calls · verified {verified}",
        "pl": "Zasady naborów {year} · sprawdzono {verified}",
    },
    "finder_holds_for_programme": {
        "en": "Rules of the {year} programme · verified {verified}",
        "pl": "Zasady programu {year} · sprawdzono {verified}",
    },
    "finder_restart": {"en": "🔄 Start again", "pl": "🔄 Od nowa"},
    "finder_cancelled": {
        "en": "Finder closed. Type /finder to start again.",
        "pl": "Kreator zamknięty. Wpisz /finder, aby zacząć od nowa.",
    },
    "finder_unavailable": {
        "en": "The finder is not available right now; please use /topics or /contact.",
        "pl": "Kreator „Która akcja jest dla mnie?” jest teraz niedostępny; skorzystaj z /topics "
        "lub /contact.",
    },
    # Events and subscriptions.
    "ev_new": {
        "en": "🆕 New event",
        "pl": "🆕 Nowe wydarzenie",
    },
    "ev_remind": {
        "en": {"one": "⏰ Reminder: tomorrow", "other": "⏰ Reminder: in {days} days"},
        "pl": {"one": "⏰ Przypomnienie: jutro", "other": "⏰ Przypomnienie: za {days} dni"},
    },
    "ev_when": {
        "en": "When",
        "pl": "Kiedy",
    },
    "ev_where": {
        "en": "Where",
        "pl": "Gdzie",
    },
    "ev_register": {
        "en": "Register",
        "pl": "Rejestracja",
    },
    "ev_online": {
        "en": "Online",
        "pl": "Online",
    },
    "ev_deadline_remind": {
        "en": {"one": "⏰ Deadline tomorrow", "other": "⏰ Deadline in {days} days"},
        "pl": {"one": "⏰ Termin jutro", "other": "⏰ Termin za {days} dni"},
    },
    "ev_example": {
        "en": "(example event)",
        "pl": "(przykładowe wydarzenie)",
    },
    "ev_none": {
        "en": "No upcoming events right now. /subscribe to hear about new ones.",
        "pl": "Brak nadchodzących wydarzeń. Użyj /subscribe, aby dostawać powiadomienia o "
        "nowych wydarzeniach.",
    },
    "ev_upcoming": {
        "en": "📅 <b>Upcoming events</b>",
        "pl": "📅 <b>Nadchodzące wydarzenia</b>",
    },
    "ev_calendar": {
        "en": "📆 Add to calendar",
        "pl": "📆 Dodaj do kalendarza",
    },
    "ev_subscribed": {
        "en": "🔔 You are subscribed. Topics (tap to change):",
        "pl": "🔔 Subskrypcja aktywna. Tematy (dotknij, aby zmienić):",
    },
    "ev_not_subscribed": {
        "en": "You are not subscribed. /subscribe to get announcements.",
        "pl": "Nie masz subskrypcji. Użyj /subscribe, aby dostawać powiadomienia o nowych "
        "wydarzeniach.",
    },
    "ev_unsubscribed": {
        "en": "🔕 Unsubscribed. You will get no more announcements.",
        "pl": "🔕 Subskrypcja anulowana. Nie będę wysyłać powiadomień.",
    },
    "ev_all": {
        "en": "All topics",
        "pl": "Wszystkie tematy",
    },
    "ev_done": {
        "en": "✅ Done",
        "pl": "✅ Gotowe",
    },
    "ev_your_topics": {
        "en": "🔔 Your topics: {topics}",
        "pl": "🔔 Twoje tematy: {topics}",
    },
    "ev_brussels": {
        "en": "Brussels time",
        "pl": "czasu brukselskiego",
    },
    # -- the first reply: answer, guess, choice, decline -----------------------------------------
    "guess_intro": {
        "en": "This is about: {title}",
        "pl": "Odpowiedź na pytanie: {title}",
    },
    "not_this": {
        "en": "Not this? Pick another topic below or ask a person.",
        "pl": "Nie o to chodzi? Wybierz inny temat poniżej albo zapytaj pracownika biura.",
    },
    "person_button": {"en": "👤 Ask a person", "pl": "👤 Zapytaj pracownika"},
    "more_button": {"en": "➕ More", "pl": "➕ Więcej"},
    "sources_button": {"en": "🔗 Sources", "pl": "🔗 Źródła"},
    "source_one": {"en": "Source", "pl": "Źródło"},
    "decline": {
        "en": "🤔 I don't have an answer to that, and I would rather not guess about money or "
        "deadlines. I cover Erasmus+: studying and traineeships abroad, staff mobility, KA1 and "
        "KA2 projects, youth and schools, deadlines and grants.\n\nFor matters of your own "
        "university (scholarships, dorms, fees) ask its student office; for anything else, "
        "ask a person at the International Relations Office with /contact, or browse the /topics.",
        "pl": "🤔 Nie mam odpowiedzi na to pytanie, a w sprawie pieniędzy i terminów wolę nie "
        "zgadywać. Odpowiadam na pytania o Erasmus+: studia i praktyki za granicą, wyjazdy "
        "kadry, projekty KA1 i KA2, młodzież i szkoły, terminy i dofinansowanie.\n\nW sprawach "
        "Twojej uczelni (stypendia, akademiki, opłaty) zapytaj w dziale spraw studenckich; "
        "z innymi pytaniami napisz do pracownika Biura Współpracy Międzynarodowej przez /contact "
        "albo przejrzyj /topics.",
    },
    # -- answers that lead to events, subscriptions, stale buttons -------------------------------
    "ev_next_line": {
        "en": "📅 Next event: <b>{title}</b>, {when}, {where}",
        "pl": "📅 Najbliższe wydarzenie: <b>{title}</b>, {when}, {where}",
    },
    "ev_online_short": {"en": "online", "pl": "online"},
    "ev_remind_button": {"en": "🔔 Remind me", "pl": "🔔 Przypomnij mi"},
    "ev_reminder_set": {
        "en": "🔔 I will remind you of <b>{title}</b> before it starts: you now get the "
        "announcements of {topics}. /subscriptions shows and changes what you get.",
        "pl": "🔔 Przypomnę o wydarzeniu <b>{title}</b> przed jego rozpoczęciem: od teraz "
        "dostajesz powiadomienia z tematu {topics}. W /subscriptions zobaczysz i zmienisz, "
        "co dostajesz.",
    },
    "ev_remind_terminal": {
        "en": "Reminders go out in Telegram: there this button subscribes you to {topics}, and "
        "the reminder comes before the event starts.",
        "pl": "Przypomnienia wysyłam w Telegramie: tam ten przycisk zapisuje na temat {topics}, "
        "a przypomnienie przychodzi przed rozpoczęciem wydarzenia.",
    },
    "ev_ics_saved": {
        "en": "📆 Saved {path}: open it to add the event to your calendar.",
        "pl": "📆 Zapisano plik {path}: otwórz go, aby dodać wydarzenie do kalendarza.",
    },
    "gone": {
        "en": "Sorry, this is no longer available.",
        "pl": "Niestety, to już jest niedostępne.",
    },
    "sub_intro": {
        "en": "🔔 <b>Announcements</b>: tap a topic to get (✓) or stop its workshops, info "
        "sessions and reminders.",
        "pl": "🔔 <b>Powiadomienia</b>: dotknij tematu, aby dostawać (✓) albo przestać dostawać "
        "informacje o warsztatach, spotkaniach i przypomnienia.",
    },
    "sub_none": {"en": "None", "pl": "Żadne"},
    "sub_change": {"en": "🔔 Change topics", "pl": "🔔 Zmień tematy"},
    "sub_you_get": {
        "en": "🔔 <b>You get announcements on:</b>",
        "pl": "🔔 <b>Dostajesz powiadomienia z tematów:</b>",
    },
    "sub_how": {
        "en": "New events as soon as they are published, and reminders before them (days "
        "before: {days}).",
        "pl": "Nowe wydarzenia zaraz po ogłoszeniu oraz przypomnienia przed nimi (liczba dni "
        "przed: {days}).",
    },
    "sub_dropped": {
        "en": "🔕 No more announcements on {topics}.",
        "pl": "🔕 Koniec powiadomień z tematu {topics}.",
    },
    "unsub_button": {"en": "🔕 Unsubscribe from this topic", "pl": "🔕 Wypisz mnie z tego tematu"},
    "unsub_all_button": {"en": "🔕 Unsubscribe", "pl": "🔕 Wypisz mnie"},
    # -- the terminal chat ------------------------------------------------------------------------
    "terminal_subscribe": {
        "en": "Announcements go out in Telegram: there /subscribe shows the topics to pick. "
        "Here, /events lists what is coming up.",
        "pl": "Powiadomienia wysyłam w Telegramie: tam /subscribe pokazuje tematy do wyboru. "
        "Tutaj /events pokazuje najbliższe wydarzenia.",
    },
    "terminal_contact": {
        "en": "In Telegram, /contact sends your question to a person at the International "
        "Relations Office. In this terminal there is no one to send it to; this is how to "
        "reach the office:",
        "pl": "W Telegramie /contact przekazuje pytanie pracownikowi Biura Współpracy "
        "Międzynarodowej. W tym terminalu nie ma komu go przekazać; tak można skontaktować się "
        "z biurem:",
    },
    "terminal_privacy": {
        "en": "🔒 <b>This terminal chat stores nothing.</b> Your questions and your language "
        "stay in this window's memory until you quit; nothing is written to disk or sent "
        "anywhere. /forget clears them now.\n\nIn Telegram the bot keeps this:",
        "pl": "🔒 <b>Ten czat w terminalu niczego nie zapisuje.</b> Pytania i wybrany język są "
        "tylko w pamięci tego okna do jego zamknięcia; nic nie trafia na dysk ani nigdzie nie "
        "jest wysyłane. /forget czyści je od razu.\n\nW Telegramie bot przechowuje:",
    },
    "terminal_forget_confirm": {
        "en": "Clear what this chat remembers (your language and the last buttons)?",
        "pl": "Wyczyścić to, co pamięta ten czat (wybrany język i ostatnie przyciski)?",
    },
    "terminal_forgotten": {
        "en": "🗑 Done: this chat remembers nothing about you now.",
        "pl": "🗑 Gotowe: ten czat nic już o Tobie nie pamięta.",
    },
    "terminal_kept": {"en": "Nothing was cleared.", "pl": "Nic nie zostało usunięte."},
}


def plural_form(lang: str, count: int) -> str:
    """The CLDR plural category of ``count`` in ``lang``: 1 -> "one", 2 -> "few" in Polish."""
    return str(Locale.parse(lang).plural_form(count))


def in_language(texts: Mapping[str, str], lang: str) -> str:
    """``texts`` in ``lang``, falling back to English (validation makes both exist)."""
    return texts.get(lang) or texts.get("en") or ""


def t(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` (English when missing), with ``values`` filled in."""
    variants = TEXTS[key]
    text = variants.get(lang) or variants["en"]
    if isinstance(text, dict):
        count = values["days"]
        assert isinstance(count, int), key
        text = text.get(plural_form(lang, count)) or text["other"]
    return text.format(**values) if values else text


def holds_for(call_year: str, verified: date, lang: str, prefix: str = "") -> str:
    """ "Holds for the 2026 call / the 2023-2024 calls / the 2021-2027 programme · verified"."""
    if call_year == "2021-2027":
        kind = "programme"
    elif "-" in call_year:
        kind = "calls"
    else:
        kind = "call"
    if lang == "pl":  # Polish writes 24.11.2026 and an en dash in 2021–2027
        return t(
            f"{prefix}holds_for_{kind}",
            lang,
            year=call_year.replace("-", "–"),
            verified=verified.strftime("%d.%m.%Y"),
        )
    return t(f"{prefix}holds_for_{kind}", lang, year=call_year, verified=verified.isoformat())
