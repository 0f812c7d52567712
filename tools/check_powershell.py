"""Syntax check of PowerShell scripts where PowerShell itself is not at hand (CI runs on
Linux; the Windows scripts run only on the release workflow's Windows runner): each file is
parsed with tree-sitter's PowerShell grammar, and any part it cannot parse is reported with
its line. Usage: python tools/check_powershell.py FILE...; exits 1 on any error."""

import sys

import tree_sitter
import tree_sitter_powershell

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def problems(node: tree_sitter.Node) -> list[str]:
    if node.type == "ERROR" or node.is_missing:
        row, col = node.start_point
        what = "missing " + node.type if node.is_missing else "cannot parse"
        text = (node.text or b"").decode(errors="replace").splitlines()[:1]
        return [f"{row + 1}:{col + 1}: {what}: {text[0] if text else ''}"]
    return [p for child in node.children for p in problems(child)]


def main(files: list[str]) -> int:
    failed = 0
    for name in files:
        with open(name, "rb") as f:
            found = problems(PARSER.parse(f.read()).root_node)
        for problem in found:
            print(f"{name}:{problem}")
        failed += bool(found)
    print(f"PowerShell syntax: {len(files)} files, {failed} with errors")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
