"""A device's COSEM object model: objects (class id, OBIS) holding attribute values.

Objects come from the profile's initial state and, when the profile allows it
(``auto_objects``), into being on first access for any interface class the server knows
(:mod:`emulator.cosem_classes`), with the class defaults.  Only attributes that were written
(or that a method changed) are stored; the others read as their defaults, so an idle device
holds no values at all.
"""

from __future__ import annotations

import copy
from typing import Any

from gbcs.dlms.cosem import format_obis, parse_obis

from .cosem_classes import ClassDef, Node, class_def, default_value

# data-access-result / action-result codes (gbcs spec §3.1)
SUCCESS = 0
HARDWARE_FAULT = 1
TEMPORARY_FAILURE = 2
READ_WRITE_DENIED = 3
OBJECT_UNDEFINED = 4
OBJECT_CLASS_INCONSISTENT = 9
OBJECT_UNAVAILABLE = 11
TYPE_UNMATCHED = 12
SCOPE_OF_ACCESS_VIOLATED = 13
OTHER_REASON = 250


class CosemError(Exception):
    """An access that fails with a data-access-result / action-result code."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(reason or str(code))
        self.code = code


class CosemObject:
    """One object: its class definition, OBIS code and the attributes that differ from the defaults."""

    __slots__ = ("cls", "obis", "values")

    def __init__(self, cls: ClassDef, obis: bytes) -> None:
        self.cls = cls
        self.obis = obis
        self.values: dict[int, Node] = {}

    @property
    def class_id(self) -> int:
        return self.cls.class_id

    def read(self, attribute: int) -> Node:
        """The value of an attribute; raises CosemError(object-undefined) for an unknown attribute."""
        value = self.values.get(attribute)
        if value is not None:
            return value
        default = default_value(self.cls, attribute, self.obis)
        if default is None:
            raise CosemError(OBJECT_UNDEFINED, f"class {self.class_id} has no attribute {attribute}")
        return default

    def write(self, attribute: int, value: Node) -> None:
        """Store a value (no access or type checks: the server does those)."""
        self.values[attribute] = value

    def mutable(self, attribute: int) -> Node:
        """The stored value of an attribute, copied from the default first, for in-place changes."""
        value = self.values.get(attribute)
        if value is None:
            value = copy.deepcopy(self.read(attribute))
            self.values[attribute] = value
        return value

    def __repr__(self) -> str:
        return f"<{self.cls.name} {format_obis(self.obis)}>"


class ObjectModel:
    """The objects of one device, by OBIS code."""

    __slots__ = ("objects", "auto")

    def __init__(self, auto: bool = True) -> None:
        self.objects: dict[bytes, CosemObject] = {}
        self.auto = auto

    def find(self, class_id: int, obis: bytes) -> CosemObject:
        """The object addressed by (class, OBIS); raises CosemError when it does not exist."""
        obj = self.objects.get(obis)
        cls = class_def(class_id)
        if obj is not None:
            if cls is None:
                raise CosemError(OBJECT_UNDEFINED, f"no interface class {class_id}")
            if obj.class_id != class_id:
                raise CosemError(OBJECT_CLASS_INCONSISTENT, f"{format_obis(obis)} is class {obj.class_id}")
            return obj
        if cls is None or not self.auto:
            raise CosemError(OBJECT_UNDEFINED, f"no object {class_id}/{format_obis(obis)}")
        obj = CosemObject(cls, bytes(obis))
        self.objects[obj.obis] = obj
        return obj

    def add(self, class_id: int, obis: bytes) -> CosemObject:
        """Create (or return) an object even when automatic objects are off."""
        obj = self.objects.get(obis)
        if obj is None:
            cls = class_def(class_id)
            if cls is None:
                raise ValueError(f"unknown COSEM class {class_id}")
            obj = CosemObject(cls, bytes(obis))
            self.objects[obj.obis] = obj
        return obj

    def load_state(self, state: dict[str, Any]) -> None:
        """Apply ``{"class/OBIS/attribute": value}`` (a profile's [state] table)."""
        for key, value in state.items():
            class_text, obis_text, attr_text = key.split("/")
            obj = self.add(int(class_text), parse_obis(obis_text))
            obj.write(int(attr_text), copy.deepcopy(value))
