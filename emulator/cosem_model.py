"""A device's COSEM object model: objects (class id, OBIS) holding attribute values.

Objects come from the profile's initial state and, when the profile allows it
(``auto_objects``), into being on first access for any interface class the server knows
(:mod:`emulator.cosem_classes`), with the class defaults.  Only attributes that were written
(or that a method changed) are stored; the others read as their defaults, so an idle device
holds no values at all.

The objects of a profile's initial state are built once per profile (:func:`state_template`)
and shared: a device's model takes its own copy of one such object when the object is first
looked up, and that copy shares the template's values until they are written (copy on write),
so thousands of devices of one profile cost little more than the objects they have touched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
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


_NOTHING_SHARED: frozenset[int] = frozenset()


class CosemObject:
    """One object: its class definition, OBIS code and the attributes that differ from the defaults.

    ``shared`` names the stored values that are a template's (never changed in place: a write
    replaces them, :meth:`mutable` copies them first).
    """

    __slots__ = ("cls", "obis", "values", "shared")

    def __init__(self, cls: ClassDef, obis: bytes) -> None:
        self.cls = cls
        self.obis = obis
        self.values: dict[int, Node] = {}
        self.shared: frozenset[int] = _NOTHING_SHARED

    def clone(self) -> CosemObject:
        """A copy that shares this object's values until they are written."""
        obj = CosemObject(self.cls, self.obis)
        if self.values:
            if len(self.shared) != len(self.values):  # from now on both copies share every value
                self.shared = frozenset(self.values)
            obj.values = dict(self.values)
            obj.shared = self.shared
        return obj

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
        if attribute in self.shared:
            self.shared = self.shared - {attribute}

    def mutable(self, attribute: int) -> Node:
        """The stored value of an attribute, copied from the default (or template) first, for in-place changes."""
        value = self.values.get(attribute)
        if value is None or attribute in self.shared:
            value = copy.deepcopy(self.read(attribute))
            self.write(attribute, value)
        return value

    def __repr__(self) -> str:
        return f"<{self.cls.name} {format_obis(self.obis)}>"


class ObjectTable(dict[bytes, CosemObject]):
    """A device's objects by OBIS code: its own, and a template's, copied in on first look-up.

    ``get``, ``[]`` and ``in`` see the template's objects too; iteration and ``len`` only the
    objects taken so far.
    """

    __slots__ = ("template",)

    def __init__(self, template: Mapping[bytes, CosemObject] | None = None) -> None:
        super().__init__()
        self.template: Mapping[bytes, CosemObject] = template or {}

    def _take(self, obis: bytes) -> CosemObject | None:
        base = self.template.get(obis)
        if base is None:
            return None
        obj = base.clone()
        dict.__setitem__(self, obj.obis, obj)
        return obj

    def get(self, obis: bytes, default: Any = None) -> Any:  # type: ignore[override]
        obj = dict.get(self, obis)
        if obj is None:
            obj = self._take(obis)
        return default if obj is None else obj

    def __missing__(self, obis: bytes) -> CosemObject:
        obj = self._take(obis)
        if obj is None:
            raise KeyError(obis)
        return obj

    def __contains__(self, obis: object) -> bool:
        return dict.__contains__(self, obis) or obis in self.template


class ObjectModel:
    """The objects of one device, by OBIS code (``template``: shared initial objects, see the module text)."""

    __slots__ = ("objects", "auto")

    def __init__(self, auto: bool = True, template: Mapping[bytes, CosemObject] | None = None) -> None:
        self.objects: ObjectTable = ObjectTable(template)
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


_TEMPLATE_CACHE = 32
_templates: dict[int, tuple[dict[str, Any], dict[bytes, CosemObject]]] = {}


def state_template(state: dict[str, Any]) -> dict[bytes, CosemObject]:
    """The objects of a profile's ``[state]`` table, built once per table (the table must not change)."""
    cached = _templates.get(id(state))
    if cached is not None and cached[0] is state:
        return cached[1]
    model = ObjectModel()
    model.load_state(state)
    template = dict(model.objects)
    for obj in template.values():
        obj.shared = frozenset(obj.values)  # clones share it
    if len(_templates) >= _TEMPLATE_CACHE:
        del _templates[next(iter(_templates))]
    _templates[id(state)] = (state, template)  # the table is kept, so its id is not reused while cached
    return template
