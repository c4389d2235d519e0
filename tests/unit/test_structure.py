"""The shape issue #15 asked for, checked so it cannot quietly regress: the terminal core
(kiosk/) imports no driver, screen, hall or hardware/UI library — those belong to the
composition root (terminal/) — and no module or function in it grows into a god object."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "kiosk"
FORBIDDEN = ("drivers", "screens", "hall", "terminal", "kivy", "cv2", "serial", "escpos", "usb", "pyzbar", "zxingcpp")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def core_modules():
    return sorted(p for p in CORE.rglob("*.py") if "__pycache__" not in p.parts)


def imported(tree: ast.AST):
    """Every module an import statement names, at any depth (a lazy import inside a function counts)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            yield node.args[0].value


def test_the_core_imports_no_driver_screen_hall_or_device_library():
    assert len(core_modules()) > 30
    bad = [(p.relative_to(ROOT).as_posix(), name) for p in core_modules()
           for name in imported(ast.parse(p.read_text("utf-8")))
           if name.split(".")[0] in FORBIDDEN]
    assert bad == []


def test_the_import_walk_sees_a_lazy_driver_import():
    tree = ast.parse("def f():\n    from drivers.factory import build_printer\n    import kivy.core.window\n")
    assert sorted(imported(tree)) == ["drivers.factory", "kivy.core.window"]


def test_no_core_module_over_400_lines():
    long = [(p.relative_to(ROOT).as_posix(), n) for p in core_modules()
            if (n := len(p.read_text("utf-8").splitlines())) > MAX_MODULE_LINES]
    assert long == []


def test_no_core_function_over_60_lines():
    long = []
    for p in core_modules():
        for node in ast.walk(ast.parse(p.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append((p.relative_to(ROOT).as_posix(), node.name, n))
    assert long == []
