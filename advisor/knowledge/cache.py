"""A disk cache of loaded rule bases, so a command does not re-parse TOML and markdown every time.

Loading the shipped rule base parses every `rules/*.toml` and `kb/*.md` file and imports
markdown-it-py and networkx (about 100 ms); a cache hit reads one JSON file instead. The entry
holds everything `load_rulebase` produces (questions, rules with their condition ASTs,
definitions, kb sections, the walk order) and is keyed by a hash of
- `loader.content_digest`: every `rules/*.toml` and `kb/*.md` byte, and the advisor version;
- the source of the modules that parse and represent a rule base (a changed parser in an editable
  checkout cannot reuse an old entry), and this cache's format number;
- the two folder paths as given (they appear in error locations).
So a stale entry is impossible by construction: any change gives another key. The loader also
re-hashes the files after parsing and stores nothing if they changed meanwhile.

Where: `$ADVISOR_CACHE_DIR`, else `$XDG_CACHE_HOME/llm-advisor`, else `~/.cache/llm-advisor`;
`ADVISOR_NO_CACHE=1` turns it off. The format is JSON (never pickle): decoding builds only the
advisor's own dataclasses from a fixed list, so no entry can run code. Every entry is signed
(HMAC-SHA256) with a random key kept outside the cache folder, in
`$ADVISOR_CACHE_KEY_FILE`, else `$XDG_STATE_HOME/llm-advisor/cache-key`, else
`~/.local/state/llm-advisor/cache-key` (created with mode 0600): an entry that was edited, or
copied in from elsewhere (a restored CI cache, a shared folder), fails the check and the rule base
is parsed from its files instead, so a tampered cache cannot serve advice that differs from the
rule files. Every failure to read or write (no home, read-only or full disk, corrupt or foreign
file, a FIFO in place of an entry) is silent: the rule base is then parsed as usual.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import gc
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.knowledge import conditions as cond
from advisor.knowledge.domains import Domains
from advisor.knowledge.files import Unreadable, read_bytes
from advisor.knowledge.kb import Section
from advisor.knowledge.ledger import LedgerRules, Stage
from advisor.knowledge.pack_info import Change, PackInfo, PackLayer
from advisor.knowledge.questions import Choice, Preset, Question
from advisor.knowledge.rules import Conclusion, Rule
from advisor.knowledge.terms import Expansion
from advisor.vocabulary import Kind, Vocabulary

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

FORMAT = 7  # 2: index tables and vocabulary; 3: signed entries; 4: index tables in hex;
# 5: index tables over the terms of rules (knowledge.terms), those terms, and the domains;
# 6: the latency ledger and rule packs; 7: each rule's terms a field with a guard bit
KEPT_ENTRIES = 32  # entries kept in the folder; older ones are removed when a new one is written
_CODE = (
    "cache",
    "conditions",
    "questions",
    "rules",
    "kb",
    "rulebase",
    "loader",
    "graph",
    "tomlfile",
    "index",
    "terms",
    "domains",
    "packs",
    "pack_info",
    "../vocabulary",
)
_NODES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        cond.Const,
        cond.Truth,
        cond.Compare,
        cond.Member,
        cond.Has,
        cond.Count,
        cond.And,
        cond.Or,
        cond.Not,
    )
}
_NODE_TYPES = frozenset(_NODES.values())
_RECORDS: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        Question,
        Choice,
        Preset,
        Rule,
        Conclusion,
        Section,
        Kind,
        Vocabulary,
        Stage,
        LedgerRules,
        PackInfo,
        PackLayer,
        Change,
        Expansion,
        Domains,
    )
}


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is turned off (or no home folder is known)."""
    if os.environ.get("ADVISOR_NO_CACHE", "") not in ("", "0"):
        return None
    override = os.environ.get("ADVISOR_CACHE_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "llm-advisor"
    try:
        return Path.home() / ".cache" / "llm-advisor"
    except RuntimeError:
        return None


def entry_path(folder: Path, digest: str, rules_dir: Path, kb_dir: Path) -> Path | None:
    """Where the entry for this content and these folders lives (None: code unreadable)."""
    place = hashlib.sha256(f"{rules_dir}\0{kb_dir}".encode()).hexdigest()[:16]
    key = hashlib.sha256(f"{FORMAT}\0{digest}\0{place}\0".encode())
    package = Path(__file__).resolve().parent
    try:
        for name in _CODE:
            key.update((package / f"{name}.py").read_bytes())
    except OSError:
        return None
    key.update(_dependency_stamp().encode())
    return folder / f"rulebase-{place}-{key.hexdigest()[:32]}.json"


def _dependency_stamp() -> str:
    """The interpreter and the installed parsing libraries (markdown-it-py parses the kb,
    networkx orders the walk), without importing them: where each is installed, and its
    `__init__` file's size and modification time, which change with every install or upgrade."""
    import importlib.util
    import sys

    parts = [sys.version]
    for name in ("markdown_it", "networkx"):
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
        if origin is None:
            parts.append(f"{name}: missing")
            continue
        try:
            stat = os.stat(origin)
        except OSError:
            parts.append(f"{name}: {origin}")
            continue
        parts.append(f"{name}: {origin} {stat.st_size} {stat.st_mtime_ns}")
    return "\0".join(parts)


def load(digest: str, rules_dir: Path, kb_dir: Path) -> RuleBase | None:
    """The cached rule base for this content and these folders, or None."""
    folder = cache_dir()
    path = entry_path(folder, digest, rules_dir, kb_dir) if folder else None
    if path is None:
        return None
    key = _signing_key(create=False)
    if key is None:
        return None
    try:
        raw = read_bytes(path, limit=MAX_ENTRY_BYTES)
        signature, _, body = raw.partition(b"\n")
        expected = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
        if not hmac.compare_digest(signature, expected):
            return None  # edited or foreign: parse the files instead (and rewrite the entry)
        data = json.loads(body)
        return _decode_rulebase(data, digest)
    except (Unreadable, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    except RecursionError:
        return None


MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""The largest cache entry read (the 10,000-rule benchmark base writes about 20 MiB)."""


def key_file() -> Path | None:
    override = os.environ.get("ADVISOR_CACHE_KEY_FILE")
    if override:
        return Path(override)
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "llm-advisor" / "cache-key"
    try:
        return Path.home() / ".local" / "state" / "llm-advisor" / "cache-key"
    except RuntimeError:
        return None


def _signing_key(*, create: bool) -> bytes | None:
    """The cache's signing key (32 random bytes), created on first store; None: no key."""
    path = key_file()
    if path is None:
        return None
    try:
        key = read_bytes(path, limit=64)
        if len(key) == 32:
            return key
        return None
    except Unreadable:
        if not create or path.exists():
            return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError:
        return _signing_key(create=False) if path.exists() else None  # another process won
    key = os.urandom(32)
    try:
        try:
            if os.write(fd, key) != len(key):
                raise OSError(errno.EIO, "short write")
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # a full disk, say: no key (and no half-written one), so no cache
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return key


def store(rulebase: RuleBase, kb_dir: Path | None = None) -> None:
    """Write the entry for `rulebase` (atomically); any failure is ignored. `kb_dir`: the kb
    folder the entry is filed under when it is not the rule base's own (rule packs)."""
    folder = cache_dir()
    kb = rulebase.kb_dir if kb_dir is None else kb_dir
    path = entry_path(folder, rulebase.digest, rulebase.rules_dir, kb) if folder else None
    if folder is None or path is None:
        return
    key = _signing_key(create=True)
    if key is None:
        return
    try:
        body = _encoded(rulebase)
        signature = hmac.new(key, body, hashlib.sha256).hexdigest().encode()
        folder.mkdir(parents=True, exist_ok=True)
        import tempfile  # only to write: a warm cache is only read

        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".rulebase-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(signature + b"\n" + body)
            os.replace(temporary, path)
        except BaseException:  # Ctrl-C too: no temporary file is left behind
            with contextlib.suppress(OSError):  # and the first error is the one raised
                Path(temporary).unlink(missing_ok=True)
            raise
        _prune(folder, path)
    except (OSError, TypeError, ValueError):
        return


def _encoded(rulebase: RuleBase) -> bytes:
    """The entry's body. Encoding builds many short-lived lists and no reference cycles: the
    cyclic garbage collector, which would scan the whole rule base again and again, is paused
    (as while loading, `loader`)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return json.dumps(_encode_rulebase(rulebase), separators=(",", ":")).encode()
    finally:
        if enabled:
            gc.enable()


def _prune(folder: Path, kept: Path) -> None:
    """Drop older entries for the same folders, and the oldest beyond KEPT_ENTRIES."""
    place = kept.name.split("-")[1]
    entries = sorted(folder.glob("rulebase-*.json"), key=lambda p: p.stat().st_mtime)
    for old in entries:
        if old != kept and old.name.split("-")[1] == place:
            old.unlink(missing_ok=True)
    entries = [p for p in entries if p.exists()]
    for old in entries[: max(0, len(entries) - KEPT_ENTRIES)]:
        if old != kept:
            old.unlink(missing_ok=True)


# --------------------------------------------------------------------------- encoding


class _Encoder:
    """Turns a rule base into JSON-ready data; condition nodes are stored once, by index."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.index: dict[int, int] = {}
        self.keep: list[cond.Node] = []  # keeps ids stable while encoding

    def node(self, node: cond.Node) -> int:
        found = self.index.get(id(node))
        if found is not None:
            return found
        fields = [self.value(getattr(node, name)) for name in _field_names(node, init=False)]
        self.nodes.append([type(node).__name__, *fields])
        self.index[id(node)] = len(self.nodes) - 1
        self.keep.append(node)
        return len(self.nodes) - 1

    def value(self, value: Any) -> Any:
        if type(value) in _SCALARS or isinstance(value, bool | int | float | str):
            return value
        if type(value) in _NODE_TYPES:
            return {"n": self.node(value)}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, tuple):
            return {"t": [self.value(v) for v in value]}
        if isinstance(value, frozenset):
            return {"f": sorted(value, key=repr)}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"d": {k: self.value(v) for k, v in value.items()}}
        if isinstance(value, dict) and all(isinstance(v, int) for v in value.values()):
            # a rule index table: answer class -> bitmask over the rules, in hexadecimal (a
            # decimal string of thousands of digits takes quadratic time to read back)
            return {"m": [[self.value(k), format(v, "x")] for k, v in value.items()]}
        if isinstance(value, Path):
            return {"p": str(value)}
        name = type(value).__name__
        if _RECORDS.get(name) is type(value):
            fields = {k: self.value(getattr(value, k)) for k in _field_names(value, init=True)}
            return {"r": [name, fields]}
        raise TypeError(f"cannot cache a {name}")


_SCALARS = frozenset({type(None), bool, int, float, str})
_FIELD_NAMES: dict[tuple[type, bool], tuple[str, ...]] = {}


def _field_names(value: Any, *, init: bool) -> tuple[str, ...]:
    """The names of a dataclass's fields (only those set by `__init__` when `init`), worked
    out once per class."""
    key = (type(value), init)
    found = _FIELD_NAMES.get(key)
    if found is None:
        fields = dataclasses.fields(value)
        found = _FIELD_NAMES[key] = tuple(f.name for f in fields if f.init or not init)
    return found


def _init_fields(value: Any) -> list[dataclasses.Field[Any]]:
    return [f for f in dataclasses.fields(value) if f.init]


def _encode_rulebase(rulebase: RuleBase) -> dict[str, Any]:
    encoder = _Encoder()
    compiled = {
        "index_table": rulebase.rule_index.table(),
        "index_terms": rulebase.rule_index.expansions,
        "index_domains": rulebase.domains,
    }
    fields = {
        f.name: encoder.value(compiled[f.name] if f.name in compiled else getattr(rulebase, f.name))
        for f in _init_fields(rulebase)
    }
    return {"format": FORMAT, "nodes": encoder.nodes, "rulebase": fields}


class _Decoder:
    def __init__(self, nodes: list[Any]) -> None:
        self.raw = nodes
        self.built: dict[int, cond.Node] = {}
        self.limit = len(nodes)

    def node(self, index: int) -> cond.Node:
        found = self.built.get(index)
        if found is None:
            if not isinstance(index, int) or not 0 <= index < len(self.raw):
                raise ValueError(f"node {index!r} does not exist")
            if index >= self.limit:  # the encoder writes children first: no cycles
                raise ValueError(f"node {index} refers forward")
            name, *fields = self.raw[index]
            outer, self.limit = self.limit, index
            found = _NODES[name](*[self.value(v) for v in fields])
            self.limit = outer
            self.built[index] = found
        return found

    def value(self, value: Any) -> Any:
        kind = type(value)  # JSON gives exact types: a type check is cheaper than isinstance
        if kind is list:
            return [self.value(v) for v in value]
        if kind is not dict:
            return value
        ((tag, inner),) = value.items()
        if tag == "n":
            return self.node(inner)
        if tag == "t":
            return tuple([self.value(v) for v in inner])
        if tag == "f":
            return frozenset(inner)
        if tag == "d":
            return {k: self.value(v) for k, v in inner.items()}
        if tag == "m":
            return {self.value(k): int(v, 16) for k, v in inner}
        if tag == "p":
            return Path(inner)
        if tag == "r":
            name, fields = inner
            return _RECORDS[name](**{k: self.value(v) for k, v in fields.items()})
        raise ValueError(f"unknown tag {tag!r}")


def _decode_rulebase(data: dict[str, Any], digest: str) -> RuleBase | None:
    from advisor.knowledge.rulebase import RuleBase

    if data.get("format") != FORMAT:
        return None
    decoder = _Decoder(data["nodes"])
    fields = {k: decoder.value(v) for k, v in data["rulebase"].items()}
    if fields.get("digest") != digest:
        return None
    return RuleBase(**fields)
