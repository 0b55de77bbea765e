"""The contract has one home: no module outside contract/ declares a label list, a risk group or the risk rule,
and the server reaches nothing through sys.path edits (a grep, precise enough to catch a re-declaration)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lesion_contract.labels import LABELS

ROOT = Path(__file__).resolve().parents[2]
# Where the product's code lives; contract/ and mobile/src/contract/ are the contract's own homes.
SCANNED = ("server", "model_pipeline", "benchmarks", "mobile/src", "mobile/native-modules", "mobile/scripts", "scripts")
EXCLUDED_DIRS = {"node_modules", "migrations", "__pycache__", "android", "ios", "build", "dist"}
CONTRACT_HOMES = (ROOT / "contract", ROOT / "mobile" / "src" / "contract")
SUFFIXES = {".py", ".ts", ".tsx", ".js", ".mjs", ".kt", ".swift"}

_LABEL = "|".join(LABELS)
# Two or more label names as string literals in a row: ("akiec", "bcc", ...), ['bkl', 'df'], "mel" | "nv"
LABEL_SEQUENCE = re.compile(rf"""(["'])(?:{_LABEL})\1\s*[,|]\s*(["'])(?:{_LABEL})\2""")
# Three or more labels as keys of one mapping: {"akiec": ..., "bcc": ...} or { akiec: ..., bcc: ... }
LABEL_KEY = re.compile(rf"""(?:(["'])({_LABEL})\1|\b({_LABEL}))\s*:""")
# A risk group or rule constant declared outside the contract
GROUP_DECLARATION = re.compile(r"\b(?:HIGH_RISK_LABELS|MEDIUM_RISK_LABELS|LOW_RISK_LABELS|HIGH_RISK_INDICES|RISK_GROUPS?)\s*(?::[^=\n]*)?=(?!=)")
# The rule's default written as a number next to a high-risk name: HIGH_RISK_MASS = 0.35, highRiskMass ?? 0.35
MASS_LITERAL = re.compile(r"(?i)high[-_ ]?risk\w*[^\n]{0,60}?\b0\.\d+")


# Files whose per-label data is not the contract; only label lists/mappings are allowed there, never a
# risk group or the rule.
LABEL_DATA_ALLOWED = {
    "model_pipeline/data/synthetic.py": "per-class drawing styles and HAM10000 class counts of the synthetic data generator",
    "mobile/src/api/schema.d.ts": "generated from the server's OpenAPI schema, whose label type is lesion_contract's Label",
}


def _is_test(path: Path) -> bool:
    return ".test." in path.name or path.name.startswith("test_") or "__tests__" in path.parts


def scanned_files() -> list[Path]:
    files = []
    for top in SCANNED:
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in SUFFIXES or not path.is_file() or EXCLUDED_DIRS & set(path.relative_to(ROOT).parts):
                continue
            if any(path.is_relative_to(home) for home in CONTRACT_HOMES) or _is_test(path):
                continue
            files.append(path)
    return files


def redeclarations(text: str) -> list[str]:
    """What in ``text`` re-declares the contract: each finding as 'line N: <what>'."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if LABEL_SEQUENCE.search(line):
            found.append(f"line {number}: a list of labels")
        if GROUP_DECLARATION.search(line):
            found.append(f"line {number}: a risk group declaration")
        if MASS_LITERAL.search(line):
            found.append(f"line {number}: a high-risk mass literal")
    # keys of one mapping may span lines: three different labels as keys within a few lines
    keys = [(text.count("\n", 0, m.start()) + 1, m.group(2) or m.group(3)) for m in LABEL_KEY.finditer(text)]
    for i, (line, _) in enumerate(keys):
        window = {label for other, label in keys[i:] if other - line <= 8}
        if len(window) >= 3:
            found.append(f"line {line}: a mapping keyed by labels")
            break
    return found


@pytest.mark.parametrize(
    "snippet",
    [
        'LABELS = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")',
        "const labels = ['akiec', 'bcc', 'bkl'];",
        'return "medium" if top_label in ("bkl", "df") else "low"',
        'HIGH_RISK_LABELS = frozenset({"akiec", "bcc", "mel"})',
        "export const HIGH_RISK_LABELS: readonly string[] = x;",
        'threshold = float(getattr(settings, "SCREENING_HIGH_RISK_MASS", 0.35))',
        "const mass = opts.highRiskMass ?? 0.35;",
        'parser.add_argument("--mass", default=[0.35], help="high-risk mass (server default 0.35)")',
        'RISK = {\n    "akiec": "high",\n    "bcc": "high",\n    "mel": "high",\n}',
        "const RISK: Record<string, string> = {\n  akiec: 'high',\n  bcc: 'high',\n  mel: 'high',\n};",
        "type Label = 'akiec' | 'bcc' | 'bkl';",
    ],
)
def test_the_scanner_catches_a_redeclaration(snippet: str) -> None:
    assert redeclarations(snippet), snippet


@pytest.mark.parametrize(
    "snippet",
    [
        "from lesion_contract.labels import HIGH_RISK_LABELS, LABELS",
        "import { HIGH_RISK_LABELS, LABELS, RISK_GROUP } from '@/contract';",
        'top = LABELS[int(np.argmax(probs))]\nif top == "mel":\n    pass',
        "probabilities: dict(zip(LABELS, values))",
        'mass = effective_high_risk_mass(settings.SCREENING_HIGH_RISK_MASS, bundle_mass)',
        "if (RISK_GROUP[label] === 'high') return true;",
        "dropout = 0.35",
    ],
)
def test_the_scanner_leaves_legitimate_uses_alone(snippet: str) -> None:
    assert redeclarations(snippet) == [], snippet


def test_no_module_outside_the_contract_redeclares_labels_risk_groups_or_the_rule() -> None:
    files = scanned_files()
    assert len(files) > 50  # the scan really covers the code
    problems = []
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        for finding in redeclarations(path.read_text(encoding="utf-8", errors="replace")):
            if name in LABEL_DATA_ALLOWED and ("list of labels" in finding or "keyed by labels" in finding):
                continue
            problems.append(f"{name} {finding}")
    assert problems == [], "import these from lesion_contract (Python) or @/contract (TypeScript):\n" + "\n".join(problems)


def test_the_server_edits_no_sys_path() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "server").rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bsys\.path\b", line)
    ]
    assert offenders == []
