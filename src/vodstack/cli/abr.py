"""`vodstack abr`: trace-driven simulation and evaluation of the ABR algorithms."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from vodstack.player.abr import registry
from vodstack.player.simulation.evaluation import OPTIMUM, Evaluation, evaluate
from vodstack.player.simulation.session import SessionResult, simulate_session
from vodstack.player.traces import NetworkTrace, TraceError, load_traces, read_trace
from vodstack.player.training.imitation import TrainConfig as TrainDefaults
from vodstack.player.training.terminal import TerminalConfig as TerminalDefaults
from vodstack.player.video import Video, VideoError, read_video_sizes

app = typer.Typer(help="Adaptive bitrate: simulate and evaluate algorithms on network traces.")

TraceOption = Annotated[
    Path, typer.Option("--trace", exists=True, dir_okay=False, help="Throughput trace file.")
]
TracesOption = Annotated[
    Path, typer.Option("--traces", exists=True, file_okay=False, help="Directory of traces.")
]
SizesOption = Annotated[
    Path,
    typer.Option("--video-sizes", exists=True, file_okay=False, help="Dir of video_size_0..5."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def session_dict(session: SessionResult) -> dict[str, object]:
    """JSON form of one session: per-chunk lists and the totals."""
    return {
        "trace": session.trace_name,
        "algorithm": session.algorithm,
        "qualities": [c.rendition for c in session.chunks],
        "bitrates_mbps": [c.bitrate_mbps for c in session.chunks],
        "rebuffers_s": [c.rebuffer_s for c in session.chunks],
        "buffers_s": [c.buffer_s for c in session.chunks],
        "download_s": [c.download_s for c in session.chunks],
        "chunk_qoe": [c.qoe for c in session.chunks],
        "qoe_per_chunk": session.qoe_per_chunk,
        "qoe_total": sum(c.qoe for c in session.scored),
        "bitrate_mbps_mean": session.bitrate_mbps_mean,
        "rebuffer_s": session.rebuffer_s,
        "smoothness_mbps_mean": session.smoothness_mbps_mean,
    }


def _session_table(session: SessionResult) -> Table:
    table = Table(title=f"{session.algorithm} on {session.trace_name}")
    for column in ("chunk", "rendition", "Mbps", "download s", "stall s", "buffer s", "QoE"):
        table.add_column(column, justify="right")
    for c in session.chunks:
        table.add_row(
            str(c.index), str(c.rendition), f"{c.bitrate_mbps:.2f}", f"{c.download_s:.2f}",
            f"{c.rebuffer_s:.2f}", f"{c.buffer_s:.1f}", f"{c.qoe:.3f}",
        )  # fmt: skip
    table.caption = (
        f"QoE per chunk (1..47) {session.qoe_per_chunk:.3f} | bitrate "
        f"{session.bitrate_mbps_mean:.3f} Mbps | stall {session.rebuffer_s:.2f} s | "
        f"smoothness {session.smoothness_mbps_mean:.3f} Mbps"
    )
    return table


@app.command()
def simulate(
    trace: TraceOption,
    video_sizes: SizesOption,
    algorithm: Annotated[
        str, typer.Option(help="ABR algorithm name.")
    ] = registry.DEFAULT_ALGORITHM,
    json_output: JsonOption = False,
    plot: Annotated[Path | None, typer.Option(help="Write the session timeline PNG here.")] = None,
) -> None:
    """Play the test video over one trace with one algorithm (Pensieve's standard simulator)."""
    try:
        network = read_trace(trace)
        video = read_video_sizes(video_sizes)
        session = simulate_session(network, video, registry.create(algorithm))
    except (TraceError, VideoError, registry.UnknownAlgorithm) as exc:
        raise _fail(str(exc)) from exc
    if plot is not None:
        from vodstack.player.simulation.plots import plot_session

        plot_session(session, network, plot)
    if json_output:
        typer.echo(json.dumps(session_dict(session), indent=2))
    else:
        Console().print(_session_table(session))


def _fraction(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _evaluation_tables(evaluation: Evaluation) -> list[Table]:
    tables = []
    for group, members in evaluation.groups().items():
        table = Table(
            title=f"{group}: {len(members)} traces",
            caption="of opt. = QoE/chunk over the offline optimum's; stall s = per session; "
            "> RMPC = share of traces with a higher QoE than RobustMPC",
        )
        columns = ("algorithm", "QoE/chunk", "of opt.", "Mbps", "stall s", "switch Mbps", "> RMPC")
        for column in columns:
            table.add_column(column, justify="left" if column == "algorithm" else "right")
        for s in evaluation.summaries(members):
            table.add_row(
                s.algorithm if s.algorithm != OPTIMUM else "optimum",
                f"{s.qoe_per_chunk:.3f}", _fraction(s.fraction_of_optimum),
                f"{s.bitrate_mbps_mean:.3f}", f"{s.rebuffer_s:.2f}",
                f"{s.smoothness_mbps_mean:.3f}", _fraction(s.beats_robustmpc),
            )  # fmt: skip
        tables.append(table)
    return tables


@app.command("evaluate")
def evaluate_command(
    traces: TracesOption,
    video_sizes: SizesOption,
    algorithms: Annotated[
        str, typer.Option(help="Comma-separated algorithm names (default: all).")
    ] = ",".join(registry.names()),
    json_output: JsonOption = False,
    plot: Annotated[Path | None, typer.Option(help="Write QoE CDFs and bars to this PNG.")] = None,
    optimum: Annotated[
        bool, typer.Option(help="Also compute the offline optimum (the slow part).")
    ] = True,
) -> None:
    """Evaluate algorithms on every trace of a directory, with the offline optimum as bound."""
    names = [n.strip() for n in algorithms.split(",") if n.strip()]
    try:
        network = load_traces(traces)
        video = read_video_sizes(video_sizes)
        for name in names:
            registry.create(name)
    except (TraceError, VideoError, registry.UnknownAlgorithm) as exc:
        raise _fail(str(exc)) from exc
    if not network:
        raise _fail(f"no trace files in {traces}")
    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("simulating", total=len(network))
        result = evaluate(
            network, video, names, with_optimum=optimum,
            progress=lambda done, _total: bar.update(task, completed=done),
        )  # fmt: skip
    if plot is not None:
        from vodstack.player.simulation.plots import plot_evaluation

        plot_evaluation(result, plot)
    if json_output:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        out = Console()
        for table in _evaluation_tables(result):
            out.print(table)


@app.command("train")
def train_command(
    traces: TracesOption,
    video_sizes: SizesOption,
    seed: Annotated[int, typer.Option(help="Seed of every random draw (reproducible).")] = 1,
    out: Annotated[
        Path | None, typer.Option(help="Policy JSON to write (default: the committed one).")
    ] = None,
    split_dir: Annotated[
        Path | None,
        typer.Option(help="Write the train / heldout / synthetic traces here, for `evaluate`."),
    ] = None,
    rounds: Annotated[int, typer.Option(help="DAgger rounds after the MPC-led one.")] = 1,
    synthetic_per_family: Annotated[
        int, typer.Option(help="Synthetic traces per trace family.")
    ] = TrainDefaults.synthetic_per_family,
    labels_per_session: Annotated[
        int | None,
        typer.Option(
            help="Decisions labelled by the optimum per session "
            f"(default {TrainDefaults.labels_per_session}; "
            f"{TerminalDefaults.labels_per_session} for --terminal-out)."
        ),
    ] = None,
    terminal_out: Annotated[
        Path | None,
        typer.Option(
            help="Instead of the policy, train the MPC's terminal value of buffer and write it "
            "here (docs/abr.md, seventh round)."
        ),
    ] = None,
    jobs: Annotated[int, typer.Option(help="Processes labelling the terminal value.")] = 1,
    mpc_terminal: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Train the policy on an MPC that credits the buffer by this terminal value.",
        ),
    ] = None,
) -> None:
    """Train the learned ABR policy by imitating the offline optimum (see docs/abr.md)."""
    from vodstack.player.abr.learned import POLICY_PATH
    from vodstack.player.training.broadband import (
        BROADBAND_HELDOUT_PIECES,
        BROADBAND_PIECES,
        broadband_pieces,
    )
    from vodstack.player.training.imitation import TrainConfig, train, write_policy
    from vodstack.player.training.synthetic import write_traces

    try:
        network = load_traces(traces)
        video = read_video_sizes(video_sizes)
    except (TraceError, VideoError) as exc:
        raise _fail(str(exc)) from exc
    console = Console(stderr=True)
    if terminal_out is not None:
        terminal = TerminalDefaults(seed=seed, synthetic_per_family=synthetic_per_family)
        if labels_per_session is not None:
            terminal = replace(terminal, labels_per_session=labels_per_session)
        _train_terminal(network, video, terminal, terminal_out, jobs, console)
        return
    config = TrainConfig(
        seed=seed,
        rounds=rounds,
        synthetic_per_family=synthetic_per_family,
        labels_per_session=(
            TrainDefaults.labels_per_session if labels_per_session is None else labels_per_session
        ),
    )
    params = None
    if mpc_terminal is not None:
        from vodstack.player.abr.terminal_value import TerminalValue
        from vodstack.player.abr.vodstack import VodstackParams

        params = VodstackParams(terminal=TerminalValue.load(mpc_terminal))
    result = train(network, video, config, log=console.print, params=params)
    target = out or POLICY_PATH
    write_policy(result.policy_document(), target)
    console.print(f"wrote {target} and {target.with_suffix('.js')}")
    if split_dir is not None:
        for name, members in (
            ("train", result.train), ("heldout", result.heldout), ("synthetic", result.synthetic),
            # Test-set-like broadband pieces, cut from each side of the split (not trained on).
            ("broadband", broadband_pieces(result.train, BROADBAND_PIECES, seed)),
            ("broadband-heldout", broadband_pieces(
                result.heldout, BROADBAND_HELDOUT_PIECES, seed + 1,
                prefix="trace_broadband_heldout",
            )),
        ):  # fmt: skip
            write_traces(split_dir / name, members)
        console.print(
            f"wrote the splits under {split_dir}/"
            "{train,heldout,synthetic,broadband,broadband-heldout}"
        )


def _train_terminal(
    network: list[NetworkTrace],
    video: Video,
    config: TerminalDefaults,
    out: Path,
    jobs: int,
    console: Console,
) -> None:
    """`train --terminal-out`: the terminal value of buffer (`player/training/terminal.py`)."""
    from vodstack.player.training.terminal import train_terminal, write_terminal

    _value, document = train_terminal(network, video, config, jobs=jobs, log=console.print)
    write_terminal(document, out)
    console.print(f"wrote {out}")
