"""Alerts: problems said once while they last, to a chat webhook and e-mail (`alerter`, `sinks`).

Below the run layer, which finds the problems (`engine.run.watch`); the state store remembers which
are open and which notices a sink has not taken yet.
"""

from engine.alerts.alerter import Alerter
from engine.alerts.problem import KINDS, Problem

__all__ = ["KINDS", "Alerter", "Problem"]
