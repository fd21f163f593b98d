"""Method registry: names -> classes, open to newcomers.

- ``@register("name")`` on a Method subclass in any module of this package: the package's
  modules are imported on first lookup, so adding a method is adding one class. Looking up one
  name imports only the module whose source registers it (found by reading the sources), so a
  run loads the modules (and libraries) of its own methods; listing imports them all.
- Third-party packages declare entry points in the group ``tabscm_bench.methods``
  (``name = "pkg.module:Class"``); they load only when asked for.
- Anything importable can be named directly as ``pkg.module:Class``.
Wrappers import their heavy libraries (torch, gcastle, causal-learn) inside ``fit``, so
listing methods stays fast and each worker loads only what its jobs need.
"""
from __future__ import annotations

import difflib
import importlib
import pkgutil
import re
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path

from .base import Method

ENTRY_POINT_GROUP = "tabscm_bench.methods"
_REGISTRY: dict[str, type[Method] | str] = {}
_INFRA = {"base", "registry", "conformance", "convert", "constraints"}
_REGISTERS = re.compile(r"""@register\(\s*["']([^"']+)["']\s*\)""")
_discovered = False


def register(name: str):
    """Class decorator: register a Method subclass under ``name`` (names are unique)."""

    def deco(cls):
        if not (isinstance(cls, type) and issubclass(cls, Method)):
            raise TypeError(f"@register({name!r}) expects a Method subclass, got {cls!r}")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"method name {name!r} is already registered by {_REGISTRY[name]!r}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _discover() -> None:
    global _discovered
    if _discovered:
        return
    _discovered = True
    import methods as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name not in _INFRA and not mod.name.startswith("_"):
            importlib.import_module(f"methods.{mod.name}")
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _REGISTRY.setdefault(ep.name, ep.value)


@lru_cache(maxsize=1)
def _source_index() -> dict[str, str]:
    """Registered name -> the module of this package whose source (a module, or any file of a subpackage) holds
    ``@register("name")``; read, not imported. A name missing here is looked up by importing every module."""
    import methods as pkg
    out: dict[str, str] = {}
    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name in _INFRA or mod.name.startswith("_"):
            continue
        base = Path(pkg.__path__[0]) / mod.name
        for path in sorted(base.rglob("*.py")) if mod.ispkg else [base.with_suffix(".py")]:
            try:
                for name in _REGISTERS.findall(path.read_text(encoding="utf-8")):
                    out.setdefault(name, f"methods.{mod.name}")
            except OSError:
                continue
    return out


def _load_path(path: str) -> type[Method]:
    module, _, attr = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as e:
        raise KeyError(f"cannot import method {path!r}: {e}") from None
    if not (isinstance(cls, type) and issubclass(cls, Method)):
        raise KeyError(f"{path!r} is not a methods.Method subclass")
    if not cls.name:  # unregistered classes are named by their import path
        cls.name = path
    return cls


def list_methods() -> list[str]:
    _discover()
    return sorted(_REGISTRY)


def method_class(name: str) -> type[Method]:
    """The class registered as ``name``, or importable as ``pkg.module:Class``."""
    if name not in _REGISTRY and not _discovered and name in _source_index():
        importlib.import_module(_source_index()[name])  # its own module only
    if name not in _REGISTRY:
        _discover()
    if name in _REGISTRY:
        entry = _REGISTRY[name]
        if isinstance(entry, str):
            entry = _REGISTRY[name] = _load_path(entry)
        return entry
    if ":" in name:
        return _load_path(name)
    near = difflib.get_close_matches(name, list(_REGISTRY), n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise KeyError(f"unknown method {name!r}{hint} (see `bench list`)")


def get_method(name: str, **params) -> Method:
    """An instance of the named method with the given parameters, each checked against the
    method's ``parameter_constraints`` (ValueError with one line otherwise). A method of this package
    with none given has its defaults, which ``check_parameters_declared`` checks: no scikit-learn then."""
    cls = method_class(name)
    unknown = sorted(set(params) - set(cls.param_names()))
    if unknown:
        near = difflib.get_close_matches(unknown[0], cls.param_names(), n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise ValueError(f"method {name!r} has no parameter {unknown[0]!r}{hint} "
                         f"(it takes {', '.join(cls.param_names()) or 'none'})")
    try:
        method = cls(**params)
    except TypeError as e:
        raise ValueError(f"bad parameters for method {name!r}: {e}") from None
    if params or not cls.__module__.startswith(f"{__package__}."):  # our defaults pass their conformance check
        method.validate_params()
    return method
