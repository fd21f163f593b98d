"""`make mutation`'s summary: the share of mutants killed per module, from `mutmut results --all true`.

Run after `mutmut run` (or give it a file holding that command's output, saved from an earlier run);
prints a Markdown table (the date, mutmut's version, one row per module) and exits 1 when a module is
below the target share or has mutants not checked. The share is over the checked mutants (killed +
survived): a run cut short says how many it left ("not checked")."""
import re
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import date
from importlib.metadata import version

TARGET = 0.80
LINE = re.compile(r"^\s*([\w.]+?)\.x[_\u01c1]\S*?__mutmut_\d+: (.+)$")  # x_function or x\u01c1Class\u01c1method


def main() -> int:
    if len(sys.argv) > 1:
        out = open(sys.argv[1], encoding="utf-8").read()
    else:
        out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True,
                             text=True, check=True).stdout
    counts = defaultdict(Counter)
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            counts[m.group(1)][m.group(2).strip()] += 1
    print(f"mutmut {version('mutmut')}, {date.today().isoformat()}\n")
    print("| module | mutants | checked | killed | of which timeouts | survived | not checked "
          "| killed share of checked |\n|---|---|---|---|---|---|---|---|")
    below, partial = [], []
    for module, c in sorted(counts.items()):
        total = sum(c.values())
        killed = c["killed"] + c["timeout"]  # a mutant that makes the tests hang is caught too
        checked = killed + c["survived"]
        share = killed / checked if checked else float("nan")
        below += [module] if not share >= TARGET else []
        partial += [module] if checked < total else []
        print(f"| {module} | {total} | {checked} | {killed} | {c['timeout']} | {c['survived']} | {total - checked} "
              f"| {f'{share:.0%}' if checked else '–'} |")
    if below:
        print(f"\nbelow {TARGET:.0%}: {', '.join(below)}")
    if partial:
        print(f"\nnot every mutant checked: {', '.join(partial)}")
    return 1 if below or partial or not counts else 0


if __name__ == "__main__":
    raise SystemExit(main())
