"""Imports go downward only and never in a circle (tests/layers.py says which way is down)."""
from pathlib import Path

from tests.layers import ALLOWED, KNOWN, KNOWN_CYCLES, cycles, import_graph, layer_of, upward_imports

ROOT = Path(__file__).resolve().parent.parent


def test_no_upward_import():
    found = upward_imports(import_graph(ROOT))
    problems = [v for v in found if (v.importer, v.imported) not in KNOWN]
    assert not problems, "imports that go up or across:\n" + "\n".join(map(str, problems))
    gone = KNOWN - {(v.importer, v.imported) for v in found}
    assert not gone, f"fixed, take them off tests/layers.py's KNOWN: {sorted(gone)}"


def test_no_import_cycle():
    found = cycles(import_graph(ROOT))
    problems = [c for c in found if c not in KNOWN_CYCLES]
    assert not problems, "import cycles:\n" + "\n".join(" -> ".join(c) for c in problems)
    gone = [c for c in KNOWN_CYCLES if c not in found]
    assert not gone, f"fixed, take them off tests/layers.py's KNOWN_CYCLES: {gone}"


def test_every_module_has_a_layer():
    graph = import_graph(ROOT)
    assert len(graph) > 50
    assert {layer_of(m)[0] for m in graph} >= {"drivers", "shared", "terminal core",
                                               "sync agent", "platform", "touch app",
                                               "command line"}


def test_the_allowed_crossing_reaches_only_the_shared_layer():
    """The platform may load the demo school, but nothing of the terminal comes with it."""
    graph = import_graph(ROOT)
    for _, target in ALLOWED:
        if target not in graph:
            continue
        seen, todo = set(), [target]
        while todo:
            module = todo.pop()
            for imported, _ in graph.get(module, []):
                if imported not in seen:
                    seen.add(imported)
                    todo.append(imported)
        assert {layer_of(m)[0] for m in seen} <= {"shared"}, sorted(seen)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_cycle_added_is_caught_and_named(tmp_path):
    _write(tmp_path, {"drivers/__init__.py": "", "sync/__init__.py": "", "kiosk/__init__.py": "",
                      "kiosk/a.py": "from kiosk import b\n",
                      "kiosk/b.py": "def later():\n    import kiosk.c\n",
                      "kiosk/c.py": "from kiosk.a import thing\n"})
    assert cycles(import_graph(tmp_path)) == [["kiosk.a", "kiosk.b", "kiosk.c"]]


def test_a_cycle_added_to_the_real_tree_is_caught():
    graph = import_graph(ROOT)
    assert not any("kiosk.journal" in c for c in cycles(graph))
    graph["sync.common.chain"] = graph["sync.common.chain"] + [("kiosk.journal", 1)]
    assert ["kiosk.journal", "sync.common.chain"] in cycles(graph)


def test_upward_imports_are_caught_and_named(tmp_path):
    _write(tmp_path, {"drivers/__init__.py": "from kiosk import counter\n",
                      "sync/__init__.py": "", "sync/common/__init__.py": "",
                      "sync/common/money.py": "import kiosk.store\n",
                      "sync/server/__init__.py": "", "sync/server/app.py": "from sync import agent\n",
                      "sync/agent.py": "", "kiosk/__init__.py": "", "kiosk/counter.py": "",
                      "kiosk/store.py": "from kiosk.ui import app\n",
                      "kiosk/ui/__init__.py": "", "kiosk/ui/app.py": ""})
    found = {(v.importer, v.imported): v.why for v in upward_imports(import_graph(tmp_path))}
    assert found == {
        ("drivers", "kiosk.counter"): "drivers import nothing of ours",
        ("sync.common.money", "kiosk.store"): "the shared layer imports only itself",
        ("sync.server.app", "sync.agent"): "the platform shares only the shared layer, not the sync agent",
        ("kiosk.store", "kiosk.ui.app"): "upward: terminal core (layer 2) -> touch app (layer 4)",
    }


def test_no_module_over_500_lines():
    """Small modules with names that explain themselves: a module that grows past 500 lines
    is split by what it does (the catalogues under sync/common/locale are data, not code)."""
    long = {str(p.relative_to(ROOT)): n for r in ("kiosk", "sync", "drivers")
            for p in (ROOT / r).rglob("*") if p.suffix in (".py", ".kv")
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > 500}
    assert not long, long
