"""The `lossviz` command: list what exists, export scenes as GIF / MP4 / PNG, plot sweeps.

    lossviz list
    lossviz gif --surface rosenbrock --run adam:lr=0.01 --run momentum:lr=0.001,momentum=0.9 \\
                --steps 300 --frames 120 --fps 20 -o out.gif
    lossviz gif --scene scene.toml -o out.gif          (or a named scene: --scene rosenbrock_race)
    lossviz png --scene rosenbrock_race --step 50 -o still.png
    lossviz mp4 --scene rosenbrock_race -o out.mp4     (needs ffmpeg)
    lossviz html --scene p06_adam -o p06_adam.html     (one offline page: η control, Play)
    lossviz table --scene p06_adam --step 3 --summary  (every number of update 3; per run: final, best, within tol)
    lossviz html --lecture -o site/                    (the whole lecture as offline pages)
    lossviz sweep --surface rosenbrock --optimizers gd,adam --lr 1e-4:1:40 --steps 300 -o sweep.png
    lossviz sweep --surface bowl --optimizers momentum --lr 1e-5:1e-1:30 \\
                  --heatmap momentum --values 0:0.99:30 -o heat.png
    lossviz png --surface expression --surface-param 'text=x**2/2 + 3*y**2' --run adam:lr=0.1 -o f.png

Bad input prints one line, `lossviz: error: <what is wrong and the valid choices>`, to stderr
and exits with status 2; no traceback, and no file is left behind. Work is bounded before
it starts (`lossviz.limits`, docs/budget.md). Ctrl-C, SIGTERM and SIGHUP remove any
half-written file and exit with 130, 143 and 129. Exports and sweeps that take more than a
few seconds show a progress bar on stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import warnings
from typing import Iterator, Sequence

from lossviz.cli_commands import cmd_export, cmd_html, cmd_list, cmd_sweep, cmd_table
from lossviz.cli_parse import LR_HELP, RUN_HELP, TOL_HELP, cut

EPILOG = """\
examples:
  lossviz list
  lossviz gif --surface rosenbrock --run adam:lr=0.01 --run momentum:lr=0.001,momentum=0.9 --steps 300 -o out.gif
  lossviz gif --scene scene.toml -o out.gif
  lossviz png --scene rosenbrock_race --step 50 -o still.png
  lossviz sweep --surface rosenbrock --optimizers gd,adam --lr 1e-4:1:40 --steps 300 -o sweep.png
  lossviz sweep --surface bowl --optimizers momentum --heatmap momentum --values 0:0.99:30 -o heat.png
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but an error is one line `lossviz: error: ...` (no usage block)."""

    def error(self, message: str):  # noqa: D401 - argparse API
        sub = self.prog.split()[1:] if self.prog else []
        hint = f"see 'lossviz {' '.join(sub)} --help'".replace("  ", " ") if sub else "see 'lossviz --help'"
        self.exit(2, f"lossviz: error: {message} ({hint})\n")


# ------------------------------------------------------------------------------------------
# the parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None


def _range(bounds: tuple) -> str:
    return f"{bounds[0]:g}..{bounds[1]:g}"


def _inches(size: tuple[float, float]) -> str:
    return ",".join(f"{x:.4g}" for x in size)


def _scene_options(p: argparse.ArgumentParser, *, noise: bool) -> None:
    """The options that describe a scene (gif, mp4, png and table read them alike)."""
    from lossviz import limits

    p.add_argument("--scene", help="a scene file (.toml/.json) or a named scene (see `lossviz list`); the options below override it")
    p.add_argument("--surface", help="surface name (see `lossviz list`), or expression for a formula you type; default rosenbrock")
    p.add_argument("--surface-param", metavar="K=V,...", help="surface parameters, e.g. a=1,b=100; for --surface expression: text=FORMULA, e.g. 'text=x**2/2 + 3*y**2'")
    p.add_argument("--run", action="append", metavar="NAME:K=V,...", help="a run, repeatable (see 'run spec' below)")
    p.add_argument("--lr", type=_float, help=LR_HELP)
    p.add_argument("--steps", type=_positive_int, help=f"number of updates T (default {limits.DEFAULT_STEPS}); runs × steps at most {limits.MAX_SCENE_STEPS:,}")
    p.add_argument("--start", metavar="X,Y", help="start point θ₀ (default: the surface's)")
    if noise:
        p.add_argument("--noise", type=_float, help="standard deviation of Gaussian gradient noise")
        p.add_argument("--batch-size", type=_positive_int, help="mini-batch size (data-defined surfaces such as 'regression')")
    p.add_argument("--seed", type=_positive_int, help="random seed (noise, mini-batches)")


def build_parser() -> argparse.ArgumentParser:
    import optimizers
    from lossviz import limits, style

    DPI = _range(limits.DPI_RANGE)
    parser = _Parser(
        prog="lossviz",
        description="Optimizer trajectories on 2-D loss surfaces: export GIF / MP4 / PNG, plot sweeps.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    sub.add_parser("list", help="surfaces, optimizers (with hyperparameters), schedules and named scenes")

    for name, help_ in (("gif", "animate a scene as a GIF"), ("mp4", "animate a scene as an MP4 (needs ffmpeg)"), ("png", "a still of a scene")):
        p = sub.add_parser(name, help=help_, formatter_class=argparse.RawDescriptionHelpFormatter, epilog="run spec:\n" + RUN_HELP)
        p.add_argument("-o", "--output", required=True, help=f"output file (.{name}); its folder must exist")
        _scene_options(p, noise=True)
        p.add_argument("--title", help="figure title")
        p.add_argument("--dpi", type=_float, default=None, help=f"resolution, {DPI} (default {style.STILL_DPI} for png: {round(style.FIGSIZE[0] * style.STILL_DPI)} px wide; "
                                                                    f"{style.GIF_DPI} for gif/mp4: {round(style.FIGSIZE[0] * style.GIF_DPI)} px)")
        p.add_argument("--figsize", metavar="W,H", help=f"figure size in inches (default {_inches(style.FIGSIZE)}; {_inches(style.FIGSIZE_NO_PANELS)} with --panels none)")
        p.add_argument("--panels", metavar="P,...", help=f"side panels: {','.join(style.PANELS)} "
                                                          "(default: the scene's, else those that carry information) or none")
        if name == "png":
            p.add_argument("--step", type=_positive_int, help="the step to show (default: the last)")
            p.set_defaults(frames=None, fps=None)
        else:
            p.add_argument("--frames", type=_positive_int, help=f"most frames, {_range(limits.FRAMES_RANGE)} (default {limits.DEFAULT_FRAMES}; long runs get log-spaced frames); "
                                                                       f"pixels × frames at most {limits.MAX_PIXEL_FRAMES:.0e}".replace("e+0", "e"))
            p.add_argument("--fps", type=_positive_int, help=f"frames per second, {_range(limits.FPS_RANGE)} (default {limits.DEFAULT_FPS})")
            if name == "gif":
                p.add_argument("--summary", action="store_true", help="after writing the GIF, print per run: final and best loss, "
                               "the first step within --tol of the lowest minimum, where it diverged or left the window")
                p.add_argument("--tol", type=_float, help=TOL_HELP)

    p = sub.add_parser("table", help="the step inspector: every number of update k of every run (θ, g, m, σ, η_t, η_t/σ, Δθ, f), "
                       "a summary per run, all steps as CSV", formatter_class=argparse.RawDescriptionHelpFormatter, epilog="run spec:\n" + RUN_HELP)
    _scene_options(p, noise=False)
    p.add_argument("--step", type=_positive_int, help="print the table of update k, 0..steps (default 0, the first update; "
                   "printed unless only --summary or --csv is asked for)")
    p.add_argument("--summary", action="store_true", help="print per run: final and best loss (and its step), the first step within "
                   "--tol of the lowest minimum, the step it diverged at or left the window at")
    p.add_argument("--tol", type=_float, help=TOL_HELP)
    p.add_argument("--csv", metavar="PATH", help="write every step of every run to PATH (.csv; columns step, run, parameter, theta, g, "
                   "m, sigma, lr, lr_over_sigma, delta_theta, f), atomically")
    p.set_defaults(noise=None, batch_size=None, title=None, frames=None, fps=None)

    p = sub.add_parser("html", help="a scene as one offline HTML page (η control, Play), or --lecture: the lecture's site")
    p.add_argument("-o", "--output", required=True, help="output file (.html); with --lecture a folder (made if missing)")
    p.add_argument("--scene", help="a scene file (.toml/.json) or a named scene (see `lossviz list`)")
    p.add_argument("--lecture", action="store_true", help="every lecture point: index.html and one page per point, with its scenes")
    p.add_argument("--decades", type=_float, default=2.0, help="η range either side of the scene's, in decades (default 2; 0.1-decade steps)")
    p.add_argument("--vary-start", action="store_true", help="also a start menu: the scene's start and its mirror images across the window (the page grows up to 4×)")
    p.set_defaults(lr=None, surface=None, surface_param=None, steps=None, seed=None, frames=None, fps=None, title=None,
                   start=None, noise=None, batch_size=None, run=None)

    p = sub.add_parser("sweep", help="final loss against η per optimizer, or an η × hyperparameter heatmap, as PNG")
    p.add_argument("-o", "--output", required=True, help="output file (.png); its folder must exist")
    p.add_argument("--surface", default="rosenbrock", help="surface name, or expression for a formula (default rosenbrock)")
    p.add_argument("--surface-param", metavar="K=V,...", help="surface parameters, e.g. a=1,b=100, or text=FORMULA for expression")
    p.add_argument("--optimizers", default="gd,momentum,adam", help="comma-separated optimizer names (default gd,momentum,adam)")
    p.add_argument("--lr", default="1e-4:1:40", help="η grid LOW:HIGH:COUNT, log-spaced, η in 1e-30..1e30 (default 1e-4:1:40)")
    p.add_argument("--steps", type=_positive_int, default=200, help="updates per run (default 200)")
    p.add_argument("--start", metavar="X,Y", help="start point θ₀ (default: the surface's)")
    p.add_argument("--heatmap", metavar="NAME", help=f"also vary this hyperparameter ({', '.join(optimizers.HYPERPARAMETERS)}): an η × NAME heatmap")
    p.add_argument("--values", metavar="LOW:HIGH:COUNT", help="its values, linearly spaced (e.g. 0:0.99:30)")
    p.add_argument("--dpi", type=_float, default=100, help=f"resolution, {DPI} (default 100)")
    return parser


# options whose value may start with '-' (--start -1.5,2): argparse would take it for an option
VALUE_OPTIONS = ("--start", "--figsize", "--values", "--lr", "--noise", "--title", "--surface-param", "--run", "--step", "--tol")


def join_negative_values(argv: Sequence[str]) -> list[str]:
    """['--start', '-1.5,2'] → ['--start=-1.5,2'] for the VALUE_OPTIONS (argparse reads '-1.5'
    as a number but '-1.5,2' or '-1e-3' as an unknown option)."""
    out: list[str] = []
    i = 0
    argv = list(argv)
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            out.extend(argv[i:])
            break
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if arg in VALUE_OPTIONS and nxt is not None and nxt.startswith("-") and not nxt.startswith("--") and nxt not in ("-o", "-h"):
            out.append(f"{arg}={nxt}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


class Stopped(BaseException):
    """A SIGTERM or SIGHUP, raised where the program is, so that every `finally` (and the
    atomic writes' clean-up) runs; like KeyboardInterrupt, not an Exception."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


_received: list[int] = []  # the signals that arrived while a command ran


def _stop(signum, frame):
    _received.append(signum)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


@contextlib.contextmanager
def signals_stop_cleanly() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt, SIGTERM and SIGHUP raise Stopped while the command
    runs, and each is remembered: an extension module interrupted while it loads (numpy)
    turns the KeyboardInterrupt into an ImportError. The previous handlers come back
    afterwards."""
    _received.clear()
    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        if signum is None:
            continue
        try:
            previous[signum] = signal.signal(signum, _stop)
        except ValueError:  # not the main thread: leave signals alone
            pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _tolerant_streams() -> None:
    """η, θ and σ print as escapes instead of crashing on an ASCII terminal
    (PYTHONIOENCODING=ascii)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError, OSError):
            stream.reconfigure(errors="backslashreplace")


def _report_warnings(caught: list) -> None:
    """Warnings of a successful command as notes: missing glyphs as one line, others once each."""
    glyphs, others = [], []
    for w in caught:
        text = str(w.message)
        if text.startswith("Glyph ") and "missing from font" in text:
            char = text.split("(", 1)[-1].split(")", 1)[0]
            glyphs.append(char)
        elif text not in others:
            others.append(text)
    if glyphs:
        names = ", ".join(dict.fromkeys(glyphs))
        print(f"lossviz: note: the font has no glyph for {cut(names, 200)}; those characters show as boxes", file=sys.stderr)
    for text in others:
        print(f"lossviz: note: {cut(text.splitlines()[0], 300)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input, 130 interrupted by
    Ctrl-C, 143 by SIGTERM, 129 by SIGHUP)."""
    _tolerant_streams()
    try:
        with signals_stop_cleanly():
            parser = build_parser()  # imports the registries (numpy): interruptible like the rest
            try:
                args = parser.parse_args(join_negative_values(sys.argv[1:] if argv is None else argv))
            except SystemExit as stop:  # --help (0) or a usage error (2, already printed)
                return int(stop.code or 0) if not isinstance(stop.code, str) else 2
            commands = {"list": cmd_list, "gif": cmd_export, "mp4": cmd_export, "png": cmd_export, "html": cmd_html, "sweep": cmd_sweep, "table": cmd_table}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("default")
                status = commands[args.command](args)
            _report_warnings(caught)
            return status
    except BaseException as error:
        signum = _received[0] if _received else None
        if isinstance(error, KeyboardInterrupt) or signum == signal.SIGINT:
            print("lossviz: interrupted", file=sys.stderr)
            return 128 + signal.SIGINT
        if isinstance(error, Stopped) or signum is not None:
            signum = error.signum if isinstance(error, Stopped) else signum
            print(f"lossviz: stopped by {signal.Signals(signum).name}", file=sys.stderr)
            return 128 + signum
        if isinstance(error, BrokenPipeError):  # `lossviz list | head`
            sys.stderr.close()
            return 0
        if isinstance(error, (ValueError, OSError, RuntimeError)):
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            from lossviz.limits import MAX_MESSAGE_LENGTH

            print(f"lossviz: error: {cut(message, MAX_MESSAGE_LENGTH)}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
