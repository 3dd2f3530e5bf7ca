"""The answers `tillsync init` takes, each checked as it is given: a wrong one is a `WrongAnswer` saying
what is wrong and what would do, asked again on a terminal, a usage error when a flag gave it."""

from __future__ import annotations

import re
from typing import Any

from connectors import CONNECTORS
from engine.catalogue import choices
from engine.cli import scaffold
from engine.cli.questions import WrongAnswer
from engine.cli.scaffold import Draft, SystemDraft
from engine.errors import UsageError
from engine.spec.models import NAME_PATTERN, SECRET_REF_PATTERN
from engine.validate.semantics import settings_problems


def connector_name(text: str, known: list[str]) -> str:
    if text not in CONNECTORS:
        raise WrongAnswer(f"unknown connector '{text}'; {choices(text, known)}")
    return text


def integration_name(text: str) -> str:
    if not re.match(NAME_PATTERN, text) or len(text) > 64:
        raise WrongAnswer("a name is lower-case letters, digits, - and _, starting with a letter, e.g. till-shop")
    return text


def flow_names(text: str, offered: list[str], draft: Draft) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    a, b = (s.connector.name for s in draft.systems.values())
    for name in names:
        if name not in offered:
            said = f"no flow '{name}'" if name not in scaffold.FLOWS else f"{name} is not one {a} and {b} can run"
            raise WrongAnswer(f"{said}; {choices(name, offered)}")
    if not names:
        raise WrongAnswer(f"name one flow at least, of {', '.join(offered)}")
    return list(dict.fromkeys(names))


def flow_pairs(given: list[str] | None, flag: str) -> dict[str, str]:
    """`FLOW=VALUE` answers of a repeatable flag, each also a comma list."""
    found: dict[str, str] = {}
    for part in (item.strip() for text in given or [] for item in text.split(",")):
        flow, sep, value = part.partition("=")
        if not sep or not flow or not value:
            raise UsageError(f"{flag} {part}: write FLOW=VALUE, e.g. {flag} stock=pos")
        found[flow] = value
    return found


def flow_settings_given(given: list[str] | None) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for text in given or []:
        where, sep, value = text.partition("=")
        flow, dot, setting = where.partition(".")
        if not sep or not dot:
            raise UsageError(f"--flow-setting {text}: write FLOW.SETTING=VALUE, e.g. orders.default_debtor=1000")
        found[(flow, setting)] = value
    return found


def system_name(text: str, draft: Draft, allowed: list[str]) -> str:
    by_connector = {s.connector.name: s.name for s in draft.systems.values()}
    name = text if text in allowed else by_connector.get(text, text)
    if name not in allowed:
        raise WrongAnswer(f"'{text}' is not one of {', '.join(allowed)}")
    return name


def status_list(text: str, known: tuple[str, ...]) -> list[str]:
    if text.strip() in ("-", ""):
        return []
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    for status in chosen:
        if status not in known:
            raise WrongAnswer(f"unknown status '{status}'; {choices(status, known)}")
    return chosen


def location_pairs(text: str) -> dict[str, str]:
    if text.strip() in ("-", ""):
        return {}
    found: dict[str, str] = {}
    for part in text.split(","):
        source, sep, target = (item.strip() for item in part.partition(":"))
        if not sep or not source or not target:
            raise WrongAnswer(f"'{part.strip()}': write FROM:TO, e.g. 1:warehouse")
        found[source] = target
    return found


def flow_value(setting: str, text: str) -> str | int | None:
    if text.strip() in ("-", ""):
        return None
    if setting == "employee_number":
        if not text.isdigit():
            raise WrongAnswer("an employee number is a whole number, e.g. 999999")
        return int(text)
    if setting == "order_type" and text not in ("order", "invoice"):
        raise WrongAnswer("order or invoice")
    return text


def settings_given(given: list[str] | None, draft: Draft) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for text in given or []:
        where, sep, value = text.partition("=")
        system, dot, setting = where.partition(".")
        if not sep or not dot:
            raise UsageError(f"--setting {text}: write SYSTEM.SETTING=VALUE, e.g. pos.branch=2")
        try:
            found[(system_name(system, draft, list(draft.systems)), setting)] = value
        except WrongAnswer as exc:
            raise UsageError(f"--setting {text}: {exc}") from None
    return found


def setting_value(system: SystemDraft, setting: str, text: str) -> Any:
    """A setting's answer as its model takes it; None: left out (unset, or for the environment to set)."""
    fields = system.connector.settings.model_fields
    if setting not in fields:
        raise WrongAnswer(f"{system.connector.name} has no setting '{setting}'; {choices(setting, list(fields))}")
    if not text.strip():
        info = fields[setting]
        if info.is_required() or info.get_default(call_default_factory=True) is None:
            return None
        raise WrongAnswer("give a value")
    value = typed(fields[setting].annotation, text.strip())
    problems = [message for where, message in settings_problems(system.connector, {setting: value}, partial=True)
                if where[:1] == (setting,)]  # fmt: skip
    if problems:
        raise WrongAnswer(problems[0])
    return value


def typed(annotation: Any, text: str) -> Any:
    """A text answer as the setting's type takes it: numbers and true/false loaded, lists split on commas."""
    if annotation is str or str(annotation) in ("str | None", "typing.Optional[str]"):
        return text
    if "list[" in str(annotation):
        return [_scalar(part.strip()) for part in text.split(",") if part.strip()]
    return _scalar(text)


def _scalar(text: str) -> Any:
    """A number, true or false as such; any other answer as its text."""
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


def credential_reference(text: str) -> str:
    if not re.match(SECRET_REF_PATTERN, text):
        raise WrongAnswer("a credential is never written in a spec: give the variable it is read from, as env:NAME")
    return text
