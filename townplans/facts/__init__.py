"""The reviewer's facts: every stated fact of a workspace as ``Fact(subject, attribute, value,
source, as_of)``, built once by the loader from front matter and YAML (by the profile's field
types), from tables (through a declared header vocabulary) and from body text (through declared
extraction patterns), and the knowledge the engines judge them with (``templates/knowledge/``).
Rules and renderers read facts instead of parsing strings again."""

from townplans.facts.model import Entity, Fact, FactBase, Period, Quantity, Ref, Value

__all__ = ["Entity", "Fact", "FactBase", "Period", "Quantity", "Ref", "Value"]
