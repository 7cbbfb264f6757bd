"""Button data for property tests: presses of every kind, written as the bot writes them now
or as it wrote them before versions, and data one field away from a real button's."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.telegram.callbacks import (
    ID_MAX,
    RECORD_PRESSES,
    SKIP,
    Acknowledge,
    AnswerChoice,
    CaregiverChoice,
    ChooseLanguage,
    Consent,
    NoteOnAlert,
    NoteOnMessage,
    OpenConsole,
    Pause,
    Press,
    ReplyToPatient,
    Resolve,
    ResolveGraded,
    ResolveWith,
    Setting,
    SettingsChoice,
    Skip,
    encode,
)
from flows.checks.items import BUTTON_ID_MAX

Strategy = st.SearchStrategy


def ids() -> Strategy[int]:
    """Row ids: small ones, and the largest the id columns hold."""
    return st.integers(0, 1000) | st.integers(0, ID_MAX) | st.just(ID_MAX)


def identifiers() -> Strategy[str]:
    """Question and option ids a protocol accepts."""
    return st.from_regex(rf"[a-z][a-z0-9_]{{0,{BUTTON_ID_MAX - 1}}}", fullmatch=True)


def words() -> Strategy[str]:
    """Choices, outcomes and grades: what the codec carries, known to the bot or not."""
    return st.from_regex(rf"[A-Za-z0-9_]{{1,{BUTTON_ID_MAX}}}", fullmatch=True)


def languages() -> Strategy[str]:
    return st.from_regex(r"[a-z]{2,3}(-[A-Z]{2})?", fullmatch=True)


def choices() -> Strategy[str | Skip]:
    return st.just(SKIP) | words()


def any_presses() -> Strategy[Press]:
    """A press of every kind, with any fields the codec carries."""
    return st.one_of(
        st.builds(AnswerChoice, ids(), identifiers(), choices()),
        st.builds(Consent, ids(), st.booleans()),
        st.builds(SettingsChoice, st.sampled_from(Setting)),
        st.builds(ChooseLanguage, languages()),
        st.builds(Pause, st.booleans()),
        st.builds(Acknowledge, ids()),
        st.builds(Resolve, ids()),
        st.builds(ResolveWith, ids(), words()),
        st.builds(ResolveGraded, ids(), words(), words()),
        st.builds(ReplyToPatient, ids()),
        st.builds(NoteOnMessage, ids()),
        st.builds(NoteOnAlert, ids()),
        st.builds(CaregiverChoice, st.booleans()),
        st.builds(OpenConsole, ids()),
    )


def legacy(press: Press) -> str:
    """The data the bot wrote for ``press`` before versions, literally as it wrote it (a
    kind of button born since has only its data of now)."""
    if isinstance(press, (*RECORD_PRESSES, CaregiverChoice, OpenConsole)):
        return encode(press)
    yes_no = {True: "yes", False: "no"}
    match press:
        case AnswerChoice(checkin, question, choice):
            return f"a:{checkin}:{question}:{'skip' if choice is SKIP else choice}"
        case Consent(episode, agreed):
            return f"c:{episode}:{yes_no[agreed]}"
        case SettingsChoice(setting):
            return f"s:{setting.value}"
        case ChooseLanguage(language):
            return f"l:{language}"
        case Pause(confirmed):
            return f"p:{yes_no[confirmed]}"
        case Acknowledge(alert):
            return f"k:{alert}"
        case Resolve(alert):
            return f"r:{alert}"
        case ResolveWith(alert, outcome):
            return f"o:{alert}:{outcome}"
        case ResolveGraded(alert, outcome, grade):
            return f"g:{alert}:{outcome}:{grade}"
    raise AssertionError(press)


def written(press: Strategy[Press]) -> Strategy[str]:
    """The data of a button for ``press``: as written now, or before versions."""
    return press.flatmap(lambda p: st.sampled_from([encode(p), legacy(p)]))


def mangled(press: Strategy[Press], junk: Strategy[str]) -> Strategy[str]:
    """The data of a button for ``press`` with one of its parts (the kind included) replaced
    by ``junk``, one more part, or one fewer."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        parts = draw(written(press)).split(":")
        change = draw(st.sampled_from(["replace", "insert", "drop"]))
        if change == "insert":
            parts.insert(draw(st.integers(0, len(parts))), draw(junk))
        elif change == "replace":
            parts[draw(st.integers(0, len(parts) - 1))] = draw(junk)
        else:
            del parts[draw(st.integers(0, len(parts) - 1))]
        return ":".join(parts)

    return build()
