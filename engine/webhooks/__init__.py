"""Webhooks: the receiver that stores verified deliveries, and the worker that runs their flows."""
