"""A flow made ready to run: its mapper, diff policy and fingerprints, built once per run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import cast

from engine.keys import Key, fingerprint
from engine.mapping.desired import Matching
from engine.mapping.mapper import Mapper
from engine.mapping.variants import variant_products
from engine.plan.diff import DiffPolicy
from engine.records import KEYS, Entity, Product, Record
from engine.run.workspace import Deployment


@dataclass(frozen=True)
class FlowSetup:
    """A flow's matching and diff policy, built once per run."""

    deployment: Deployment
    name: str
    matching: Matching
    policy: DiffPolicy
    batch: int | None = None  # records the target takes in one call
    # False: the target keeps nothing of these records that can be read back (a till's stock changes
    # for web orders); what Tillsync last applied there stands for what it holds
    target_reads: bool = True

    @classmethod
    def of(cls, deployment: Deployment, name: str) -> FlowSetup:
        flow = deployment.flow(name)
        source = deployment.systems[flow.source].connector.entities[flow.entity]
        target = deployment.systems[flow.target].connector.entities[flow.entity]
        mapper = Mapper(flow, deployment.integration.value_maps, source.catalogue, target.catalogue, target.defaults,
                        target.required)  # fmt: skip
        match = tuple(flow.match or KEYS[flow.entity])
        policy = DiffPolicy(
            entity=flow.entity,
            source=flow.source,
            target=flow.target,
            fields=tuple(mapper.fields()),
            match=match,
            create_only=frozenset(flow.create_only),
            delete=flow.delete,
            direction=flow.direction,
            master=flow.master,
            updates=target.updates,
            adopt=frozenset(name for name, policy in flow.drift.items() if policy == "adopt"),
            objects=frozenset(
                name for name, info in target.catalogue.items() if info.type in ("object", "money") and info.fields
            ),
        )
        matching = Matching(mapper, flow.entity, match, source.status_field)
        return cls(deployment, name, matching, policy, target.batch, target.read)

    @property
    def label(self) -> str:
        return f"{self.deployment.name}/{self.name}"

    @property
    def keyed(self) -> bool:
        """Whether the flow matches records on their own keys, so records can be told apart unbuilt."""
        return self.policy.match == KEYS[self.policy.entity]

    @property
    def keys_known_unbuilt(self) -> bool:
        """Whether the key a source record maps to is known from its own key (`mapped_key`): the flow
        matches on the entity's own key, copied as it is, and no rule changes it but by a map (a stock
        flow's `location_map`). A plan can then read the target before it builds the source
        (`engine.run.planner`); a record that maps elsewhere all the same is caught as it is built,
        and the plan made again the usual way."""
        mapper = self.matching.mapper
        copied = all(mapper.copies.get(name) == name for name in self.policy.match)
        return self.keyed and copied and self._key_maps is not None and not self.splits_variants

    def mapped_key(self, own: Key) -> Key:
        """The key a source record with this key of its own maps to, where `keys_known_unbuilt`: its
        own, with each part a map translates translated (a part the map lacks is kept, as the key of
        the record the map skips)."""
        maps = self._key_maps
        if not maps:
            return own
        return tuple(part if table is None else table.get(part, part) for part, table in zip(own, maps, strict=True))

    @cached_property
    def _key_maps(self) -> tuple[Mapping[str, str] | None, ...] | None:
        """Per part of the match key, the map a rule translates it through (None: none); () where no
        rule touches the key, None where a rule changes it otherwise."""
        match, maps = self.policy.match, {}
        for rule in self.matching.mapper.rules:
            for name in rule.sets & set(match):
                if rule.translation is None or name in maps:
                    return None
                maps[name] = rule.translation
        return tuple(maps.get(name) for name in match) if maps else ()

    def key_of(self, record: Record) -> Key:
        return self.matching.key_of(record)

    @property
    def splits_variants(self) -> bool:
        """Whether the flow takes each variant of a source product as a product of its own."""
        flow = self.deployment.flow(self.name)
        return flow.entity is Entity.product and flow.settings.variants_as_products

    def as_read(self, records: Iterable[Record]) -> list[Record]:
        """Source records as the flow takes them: variant by variant where it splits them."""
        if not self.splits_variants:
            return list(records)
        return [item for record in records for item in variant_products(cast(Product, record))]

    def spec_fingerprint(self) -> str:
        """The spec file, flow and settings a plan is made under: a plan applies under these alone."""
        flow = self.deployment.flow(self.name)
        systems = {name: dict(self.deployment.systems[name].settings) for name in (flow.source, flow.target)}
        return fingerprint([self.deployment.digest, flow.model_dump(mode="json"), systems])

    def meaning_fingerprint(self) -> str:
        """What in its spec a flow's plan depends on: the flow, the value maps its mappings may look up,
        and its two systems (connector, settings, credentials named). Not the spec file's text: a
        comment, the layout or another flow edited leaves it as it was."""
        flow, systems = self.deployment.flow(self.name), self.deployment.systems
        used = {name: [systems[name].connector.name, dict(systems[name].settings), dict(systems[name].credentials)]
                for name in (flow.source, flow.target)}  # fmt: skip
        return fingerprint([flow.model_dump(mode="json"), self.deployment.integration.value_maps, used])
