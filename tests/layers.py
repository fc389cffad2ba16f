"""The packages' layers, and a walker that finds every import of ours in the source.

Imports go downward only (README, "How the packages depend on each other"):

    layer 0  drivers            hardware; imports nothing of ours
    layer 1  shared             sync.common, sync.models, sync.protocol: the protocol's
                                models and the pure rules both ends apply
    layer 2  terminal core      kiosk, without kiosk.ui / kiosk.demo / kiosk.cli
    layer 3  sync agent         sync.agent, sync.client
    layer 3  platform           sync.server: the shared layer only, never the terminal
    layer 4  touch app          kiosk.ui
    layer 5  demo tooling       kiosk.demo (what `make demo` runs)
    layer 6  command line       kiosk.cli (the `comptoir` entry point, all of the above)

A module may import its own layer and those below, except that the platform and the agent
are side by side (neither imports the other), and the platform imports nothing of the
terminal. Every import counts, those inside functions too, and no cycle is allowed anywhere,
even between modules of one layer.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOTS = ("drivers", "sync", "kiosk")

# (prefix, layer name, rank); the longest matching prefix wins.
LAYERS = [
    ("drivers", "drivers", 0),
    ("sync.common", "shared", 1),
    ("sync.models", "shared", 1),
    ("sync.protocol", "shared", 1),
    ("kiosk", "terminal core", 2),
    ("sync.agent", "sync agent", 3),
    ("sync.client", "sync agent", 3),
    ("sync.agent_health", "sync agent", 3),     # the agent's status and credentials file
    ("sync.pull_cursor", "sync agent", 3),      # where the agent's pull starts, its progress
    ("sync.server", "platform", 3),
    ("sync.server.web", "platform", 3),         # the back office's pages (issue 16)
    ("sync", "shared", 1),                   # the package itself (sync/__init__.py)
    ("kiosk.ui", "touch app", 4),
    ("kiosk.demo", "demo tooling", 5),
    ("kiosk.ui.autopilot", "demo tooling", 5),   # drives the app with Kivy: kept in kiosk.ui
    ("kiosk.cli", "command line", 6),
]

# The one explicit crossing: the platform's `demo-data` command loads the demo school, whose
# generator is pure data (it imports the shared layer only, which the walk checks too).
ALLOWED = {("sync.server.cli", "kiosk.demo.school")}

# Crossings found when the walk was written (issue 12), being removed in steps: each entry is
# (importer, imported). The test fails on any crossing not listed here, and on an entry that no
# longer happens (so the list only shrinks). Empty when issue 12 is done.
KNOWN: set[tuple[str, str]] = set()
KNOWN_CYCLES: list[list[str]] = []


@dataclass(frozen=True)
class Violation:
    importer: str
    imported: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.importer}:{self.line} imports {self.imported}: {self.why}"


def layer_of(module: str) -> tuple[str, int]:
    if module.endswith(".__main__"):          # `python -m ...`: an entry point, like the CLI
        return "command line", 6
    best = max((p for p in LAYERS if module == p[0] or module.startswith(p[0] + ".")),
               key=lambda p: len(p[0]))
    return best[1], best[2]


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(root: Path, path: Path, known: set[str]) -> list[tuple[str, int]]:
    """The modules of ours that ``path`` imports (``from a import b`` counts as ``a.b`` when
    that is a module, else ``a``), with their line numbers."""
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            if target.split(".")[0] in ROOTS:
                found.append((target, node.lineno))
    return found


def import_graph(root: Path) -> dict[str, list[tuple[str, int]]]:
    files = [p for r in ROOTS for p in (root / r).rglob("*.py")]
    known = {module_name(root, p) for p in files}
    return {module_name(root, p): imports_of(root, p, known) for p in sorted(files)}


def upward_imports(graph: dict[str, list[tuple[str, int]]]) -> list[Violation]:
    found = []
    for importer, targets in graph.items():
        layer, rank = layer_of(importer)
        for target, line in targets:
            if (importer, target) in ALLOWED:
                continue
            their_layer, their_rank = layer_of(target)
            why = None
            if layer == "drivers" and their_layer != "drivers":
                why = "drivers import nothing of ours"
            elif layer == "shared" and their_layer != "shared":
                why = "the shared layer imports only itself"
            elif layer == "platform" and their_layer not in ("platform", "shared"):
                why = f"the platform shares only the shared layer, not the {their_layer}"
            elif layer == "sync agent" and their_layer == "platform":
                why = "the agent and the platform are side by side"
            elif their_rank > rank:
                why = f"upward: {layer} (layer {rank}) -> {their_layer} (layer {their_rank})"
            if why:
                found.append(Violation(importer, target, line, why))
    return found


def cycles(graph: dict[str, list[tuple[str, int]]]) -> list[list[str]]:
    """Every group of modules that import each other, directly or not (Tarjan's strongly
    connected components of more than one module, or a module importing itself)."""
    edges = {m: sorted({t for t, _ in targets if t in graph}) for m, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in edges[node]:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found
