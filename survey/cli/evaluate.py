"""`rapport eval`: accuracy, macro-F1 and confusion matrices, plain TextBlob vs Rapport."""

from __future__ import annotations

from pathlib import Path

import click

from analysis import evaluation as ev

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOMAIN_SETS = ("tests/data/domain_comments.csv", "tests/data/domain_holdout.csv")
PUBLIC_DIR = PROJECT_ROOT.parent / "shared" / "data" / "sentiment"


def default_paths() -> list[Path]:
    """Labelled sets found next to the project; absent ones (e.g. when packaged) are skipped."""
    paths = [PROJECT_ROOT / p for p in DOMAIN_SETS]
    paths += [PUBLIC_DIR / name for name in ev.PUBLIC_SETS.values()]
    return [p for p in paths if p.is_file()]


def _matrix_lines(report: ev.Report) -> list[str]:
    """The confusion matrix as text rows, gold down the side."""
    head = "        " + " ".join(f"{label[:3]:>5}" for label in ev.LABELS)
    rows = [
        f"  {label[:3]:>5} " + " ".join(f"{n:>5}" for n in row)
        for label, row in zip(ev.LABELS, report.confusion, strict=True)
    ]
    return [head, *rows]


def _print_set(path: Path) -> None:
    """Score one labelled set with both analysers and print them side by side."""
    examples = ev.load_any(path)
    if not examples:
        click.echo(f"{path.name}: empty, skipped")
        return
    plain = ev.evaluate(examples, ev.plain_textblob_label)
    rapport = ev.evaluate(examples, ev.rapport_label)
    click.echo(f"\n{path.name}  (n={len(examples)})")
    click.echo(f"  {'':14}{'plain TextBlob':>16}{'Rapport':>12}")
    click.echo(f"  {'accuracy':14}{plain.accuracy:>16.3f}{rapport.accuracy:>12.3f}")
    click.echo(f"  {'macro-F1':14}{plain.macro_f1:>16.3f}{rapport.macro_f1:>12.3f}")
    left, right = _matrix_lines(plain), _matrix_lines(rapport)
    click.echo("  confusion (rows gold, columns predicted): plain | Rapport")
    for a, b in zip(left, right, strict=True):
        click.echo(f"{a}   |{b}")
    if any(e.themes for e in examples):
        themes = ev.theme_report(examples, ev.rapport_themes)
        precision, recall = themes.pop("all")
        click.echo(f"  themes: precision {precision:.3f}  recall {recall:.3f}")
        for theme, (p, r) in themes.items():
            click.echo(f"    {theme:14} P {p:.2f}  R {r:.2f}")


@click.command("eval")
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Labelled set (CSV text,label[,themes] or public .txt); repeatable.",
)
@click.option("--speed/--no-speed", default=True, help="Also compare comments per second.")
def evaluate(data: tuple[Path, ...], speed: bool) -> None:
    """Compare plain TextBlob and Rapport on labelled comment sets."""
    paths = list(data) or default_paths()
    if not paths:
        raise click.ClickException("no labelled sets found; pass --data FILE")
    texts: list[str] = []
    for path in paths:
        _print_set(path)
        texts += [e.text for e in ev.load_any(path)[:1000]]
    if speed and texts:
        ratio = ev.speed_ratio(texts[:3000])
        click.echo(f"\nspeed: Rapport runs at {ratio:.2f}x plain TextBlob's comments per second")
