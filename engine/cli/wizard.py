"""`tillsync init`: the onboarding wizard. It asks what the integration guides ask (which two systems,
which flows in which direction with which master, which order statuses, each system's settings and
where its credentials come from), then writes a spec that validates, the sandbox environment's entry
for it and a mapping-test skeleton that passes, and says what to run next. Everything is checked
before anything is written, and no file is overwritten without `--force`."""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from connectors import CONNECTORS
from engine.catalogue import choices
from engine.cli import answers, envedit, scaffold, scaffold_tests, yamltext
from engine.cli.questions import Asker, WrongAnswer
from engine.cli.scaffold import Draft, FlowDraft, SystemDraft
from engine.errors import SpecError, TillsyncError, UsageError
from engine.records import Entity
from engine.run.mapping_tests import run_suites
from engine.run.workspace import Deployment, ResolvedSystem, spec_digest
from engine.spec.environment import Environment
from engine.validate.files import load_spec

SANDBOX_ENV, SANDBOX_ENV_FILE, SANDBOX_FOLDER = "sandbox", ".tillsync/sandbox/sandbox.env", ".tillsync/sandbox"
FLOW_DEFAULTS = {"default_debtor": "1000", "employee_number": "999999", "branch": "1", "order_type": "order"}
FLOW_QUESTIONS = {
    "default_debtor": "the customer number orders without a known customer are booked on",
    "employee_number": "the employee number orders are booked by",
    "branch": "the branch or store orders are booked on",
    "order_type": "book orders as order or invoice",
}
DEFAULT_FLOWS = ("products", "stock", "orders")


def init(args: argparse.Namespace) -> int:
    if not args.yes and not sys.stdin.isatty():
        raise UsageError("init asks its questions on a terminal, and stdin is not one; give the answers by flag "
                         "and --yes to take the defaults for the rest")  # fmt: skip
    ask = Asker(interactive=not args.yes)
    root = Path.cwd()
    draft = _systems(ask, args)
    _flows(ask, args, draft)
    left = _system_settings(ask, args, draft)
    _credentials(ask, args, draft)
    texts = _made(root, draft, args.force)
    for path, text in texts.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _next_steps(draft, texts, left)
    return 0


def _systems(ask: Asker, args: argparse.Namespace) -> Draft:
    known = sorted(CONNECTORS)
    first = ask("Which system is the till or ERP (the catalogue and stock are read from it)?", "mpluskassa",
                args.source, "--from", lambda text: answers.connector_name(text, known))  # fmt: skip
    second = ask("Which system is the webshop, the other side?", "shopify" if first != "shopify" else "mpluskassa",
                 args.target, "--to", lambda text: answers.connector_name(text, known))  # fmt: skip
    one, two = scaffold.system_names(first, second)
    name = ask("What is the integration called?", f"{first}-{second}".replace("_", "-"), args.name, "--name",
               answers.integration_name)  # fmt: skip
    return Draft(name, {one: SystemDraft(one, CONNECTORS[first]), two: SystemDraft(two, CONNECTORS[second])})


def _flows(ask: Asker, args: argparse.Namespace, draft: Draft) -> None:
    offered = scaffold.offered(draft)
    if not offered:
        a, b = (s.connector.name for s in draft.systems.values())
        raise TillsyncError(f"{a} and {b} have no entity one reads and the other writes; nothing to sync between them")
    default = ",".join(name for name in DEFAULT_FLOWS if name in offered) or offered[0]
    names = ask(f"Which flows? ({', '.join(offered)})", default, args.flows, "--flows",
                lambda text: answers.flow_names(text, offered, draft))  # fmt: skip
    directions = answers.flow_pairs(args.direction, "--direction")
    masters = answers.flow_pairs(args.master, "--master")
    settings = answers.flow_settings_given(args.flow_setting)
    unknown = sorted(({flow for flow, _ in settings} | set(directions) | set(masters)) - set(names))
    if unknown:
        raise UsageError(f"a flag names {', '.join(unknown)}, not a flow chosen ({', '.join(names)})")
    for name in names:
        flow = _direction(ask, draft, name, directions.get(name), masters.get(name))
        if flow.entity is Entity.order:
            statuses = draft.systems[flow.source].connector.entities[Entity.order].statuses
            flow.statuses = ask(f"{name}: which order statuses to send? ({', '.join(statuses)}; - for all)",
                                scaffold.PAID if scaffold.PAID in statuses else "-", args.statuses, "--statuses",
                                partial(answers.status_list, known=statuses))  # fmt: skip
        for setting in scaffold.asked_flow_settings(draft, flow):
            _flow_setting(ask, draft, flow, setting, settings.get((name, setting)))
        draft.flows.append(flow)


def _direction(ask: Asker, draft: Draft, name: str, given: str | None, master: str | None) -> FlowDraft:
    entity = scaffold.FLOWS[name]
    pairs = scaffold.directions(draft, entity)
    sources = [source for source, _ in pairs] + (["both"] if scaffold.two_way_possible(draft, entity) else [])
    first = scaffold.default_direction(draft, entity)
    source = ask(f"{name}: read from which system? ({', '.join(sources)})", first[0], given, f"--direction {name}=",
                 lambda text: answers.system_name(text, draft, sources))  # fmt: skip
    if source != "both":
        target = next(t for s, t in pairs if s == source)
        return FlowDraft(name, entity, source, target, master=None if entity is Entity.order else source)
    winner = ask(f"{name}: which system wins where both changed a field?", first[0], master, f"--master {name}=",
                 lambda text: answers.system_name(text, draft, list(draft.systems)))  # fmt: skip
    return FlowDraft(name, entity, *first, two_way=True, master=winner)


def _flow_setting(ask: Asker, draft: Draft, flow: FlowDraft, setting: str, given: str | None) -> None:
    flag = f"--flow-setting {flow.name}.{setting}="
    if setting == "location_map":
        source = draft.systems[flow.source]
        where = str(source.settings.get("stock_location", "1"))
        pairs = ask(f"{flow.name}: which {source.name} location goes to which {flow.target} location? (FROM:TO, "
                    "comma separated; - for the same names)", f"{where}:warehouse", given, flag,
                    answers.location_pairs)  # fmt: skip
        if pairs:
            flow.settings["location_map"] = pairs
        return
    field = scaffold.ORDER_SETTINGS[setting]
    value = ask(f"{flow.name}: {FLOW_QUESTIONS[setting]} in {flow.target} ({field}; - for none)?",
                FLOW_DEFAULTS[setting], given, flag, lambda text: answers.flow_value(setting, text))  # fmt: skip
    if value is not None:
        flow.settings[setting] = value


def _system_settings(ask: Asker, args: argparse.Namespace, draft: Draft) -> list[str]:
    """Ask each system's settings; returns those left for the environment to set (`system.setting`)."""
    given = answers.settings_given(args.setting, draft)
    left = []
    for system in draft.systems.values():
        model = system.connector.settings
        for setting in scaffold.asked_system_settings(system.connector):
            info = model.model_fields[setting]
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            value = ask(f"{system.name} ({system.connector.name}): {setting}, {info.description or setting}?",
                        answers.as_text(default), given.pop((system.name, setting), None),
                        f"--setting {system.name}.{setting}=",
                        partial(answers.setting_value, system, setting))  # fmt: skip
            if value is None and info.is_required():
                left.append(f"{system.name}.{setting}")
            elif value is not None and value != default:
                system.settings[setting] = value
    for (name, setting), text in given.items():  # settings the wizard does not ask, given anyway
        system = draft.systems[name]
        try:
            system.settings[setting] = answers.setting_value(system, setting, text)
        except WrongAnswer as exc:
            raise UsageError(f"--setting {name}.{setting}={text}: {exc}") from None
    return left


def _credentials(ask: Asker, args: argparse.Namespace, draft: Draft) -> None:
    given: dict[tuple[str, str], str] = {}
    for text in args.credential or []:
        where, sep, value = text.partition("=")
        system, dot, name = where.partition(".")
        if not sep or not dot:
            raise UsageError(f"--credential {text}: write SYSTEM.NAME=env:VARIABLE, e.g. shop.access_token=env:TOKEN")
        given[(system, name)] = value
    for system in draft.systems.values():
        for name in system.connector.credentials:
            answer = given.pop((system.name, name), given.pop((system.connector.name, name), None))
            default = f"env:{scaffold.credential_variable(draft, system, name)}"
            system.credentials[name] = ask(
                f"{system.name} ({system.connector.name}): which variable is its {name} read from? (env:VARIABLE)",
                default, answer, f"--credential {system.name}.{name}=", answers.credential_reference, echo=False,
            )  # fmt: skip
    if given:
        known = [f"{s.name}.{n}" for s in draft.systems.values() for n in s.connector.credentials]
        where = ".".join(next(iter(given)))
        raise UsageError(f"--credential {where}: no such credential; {choices(where, known)}")


def _made(root: Path, draft: Draft, force: bool) -> dict[Path, str]:
    """The files to write, by path, each checked: the spec validates, its tests pass, the environment loads."""
    spec_path = root / "specs" / f"{draft.name}.yaml"
    tests_path = root / "specs" / "tests" / f"{draft.name}.yaml"
    env_path = root / "environments" / f"{SANDBOX_ENV}.yaml"
    there = [str(p.relative_to(root)) for p in (spec_path, tests_path) if p.exists()]
    if there and not force:
        raise TillsyncError(f"{' and '.join(there)} already there; give --force to overwrite, or another --name")
    spec_text = _header(draft) + _yaml(scaffold.spec_document(draft))
    with tempfile.TemporaryDirectory(prefix="tillsync-init-") as scratch:
        trial = Path(scratch) / "specs" / f"{draft.name}.yaml"
        trial.parent.mkdir(parents=True)
        trial.write_text(spec_text, encoding="utf-8")
        try:
            loaded = load_spec(trial, CONNECTORS)
        except SpecError as exc:
            problems = "; ".join(d.message for d in exc.diagnostics[:5])
            raise TillsyncError(
                f"the spec these answers make does not validate ({problems}); nothing was written"
            ) from None
        systems = {
            n: ResolvedSystem(n, CONNECTORS[s.connector], s.settings, {}) for n, s in loaded.integration.systems.items()
        }
        deployment = Deployment(draft.name, str(trial), spec_digest(trial), loaded.integration, systems)
        currency = next(
            (str(s.settings["currency"]) for s in draft.systems.values() if "currency" in s.settings), "EUR"
        )
        tests_text = f"# Mapping tests for specs/{draft.name}.yaml: run with `tillsync test`.\n" + _yaml(
            scaffold_tests.suite(deployment, currency)
        )
        suite_path = trial.parent / "tests" / trial.name
        suite_path.parent.mkdir()
        suite_path.write_text(tests_text, encoding="utf-8")
        ran, failures = run_suites([suite_path], Path(scratch), CONNECTORS)
        if failures or not ran:
            raise TillsyncError(f"the test skeleton does not pass ({failures[0] if failures else 'no case'}); "
                                "nothing was written")  # fmt: skip
    env_text = _environment(env_path, draft, force)
    return {spec_path: spec_text, tests_path: tests_text, env_path: env_text}


def _environment(path: Path, draft: Draft, force: bool) -> str:
    where = f"environments/{path.name}"
    current = path.read_text(encoding="utf-8") if path.exists() else None
    entry = scaffold.sandbox_overlay(draft, _ports(draft, current), SANDBOX_FOLDER)
    if current is None:
        text = envedit.new_environment(SANDBOX_ENV, SANDBOX_ENV_FILE, draft.name, entry)
    else:
        text = envedit.with_integration(current, draft.name, entry, replace=force, where=where)
    try:
        Environment.model_validate(yamltext.load(text))
    except Exception as exc:  # a file this cannot edit in place: said, and left as it is
        raise TillsyncError(f"{where}: adding {draft.name} to it would not make an environment ({type(exc).__name__}); "
                            "nothing was written") from None  # fmt: skip
    return text


def _ports(draft: Draft, current: str | None) -> dict[str, int]:
    """A port of its own for each system's sandbox: its connector's unless another system of the
    environment uses it, else the next one no system and no other connector's sandbox uses."""
    others = {name: entry for name, entry in _integrations(current).items() if name != draft.name}
    used = {int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", yamltext.dump(others))}
    defaults = {c.sandbox.port for c in CONNECTORS.values() if c.sandbox is not None}
    ports: dict[str, int] = {}
    for system in draft.systems.values():
        if system.connector.sandbox is None:
            continue
        port = system.connector.sandbox.port
        while port in used or (port in defaults and port != system.connector.sandbox.port):
            port += 1
        used.add(port)
        ports[system.name] = port
    return ports


def _integrations(text: str | None) -> dict[str, Any]:
    """The integrations an environment file's text runs, as data; {} for none or a file that is no map."""
    data = yamltext.load(text or "") or {}
    found = data.get("integrations") if isinstance(data, dict) else None
    return found if isinstance(found, dict) else {}


def _header(draft: Draft) -> str:
    a, b = draft.systems.values()
    return (f"# yaml-language-server: $schema=../schemas/integration.schema.json\n#\n"
            f"# {a.connector.name} ({a.name}) and {b.connector.name} ({b.name}), set up with `tillsync init`.\n"
            "# Adjust the settings, the mappings and the schedules; the mapping tests are in "
            f"specs/tests/{draft.name}.yaml.\n")  # fmt: skip


def _yaml(data: dict[str, Any]) -> str:
    return yamltext.dump(data)


def _next_steps(draft: Draft, texts: dict[Path, str], left: list[str]) -> None:
    root = Path.cwd()
    for path in texts:
        print(f"wrote {path.relative_to(root)}")
    name = draft.name
    variables = sorted(ref.removeprefix("env:") for s in draft.systems.values() for ref in s.credentials.values())
    print("\nNext:")
    print(f"  tillsync validate specs/{name}.yaml")
    print(f"  tillsync test specs/tests/{name}.yaml")
    print(f"  tillsync sandbox up --seed                 # in another terminal: the sandboxes {name} runs on")
    print(f"  tillsync plan --env sandbox --flow {name}")
    print(f"  tillsync apply --env sandbox --flow {name}")
    if left:
        print(f"Before a real system: set {', '.join(left)} in the environment's file")
    if variables:
        print(f"and the variables {', '.join(variables)} where it runs.")
