"""``kiosk face verify`` and ``kiosk face evaluate``: the face engine from the command line.

For technicians and for tuning: check a reference photo against a camera, a
video file or an image, and measure distances over labelled photo pairs.
Register with ``add_face_commands(subparsers)`` from kiosk/cli.py, or run
``python -m kiosk.cli_face``.
"""

from __future__ import annotations

import argparse
import json
import queue
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk.identity.face import CHALLENGE_ACTIONS, FaceError
from kiosk.identity.faceengine import DEFAULT_THRESHOLD, DlibFaceVerifier
from kiosk.identity.frames import Frame

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def add_face_commands(sub: Any) -> None:
    face = sub.add_parser("face", help="face verification tools")
    actions = face.add_subparsers(metavar="ACTION")
    v = actions.add_parser("verify", help="a reference photo against a camera, video or image")
    v.add_argument("--reference", type=Path, required=True, help="the card photo (JPEG/PNG)")
    v.add_argument("--source", required=True,
                   help="camera index (0), V4L2 path, video file or stream URL, or an image")
    v.add_argument("--no-liveness", action="store_true", help="match only")
    v.add_argument("--challenge", help=f"comma-separated, of {', '.join(CHALLENGE_ACTIONS)};"
                   " default: random")
    v.add_argument("--frames", metavar="A:B", help="video file: only frames A to B-1")
    v.add_argument("--seconds", type=float, default=8.0, help="camera: how long to look")
    v.add_argument("--still-frames", type=int, default=30,
                   help="image source: how many times the camera 'sees' it")
    _common(v)
    v.set_defaults(func=_verify)
    e = actions.add_parser("evaluate", help="distances over labelled photo pairs")
    e.add_argument("pairs", type=Path, help="TSV: reference, probe, same|different")
    _common(e)
    e.set_defaults(func=_evaluate)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    p.add_argument("--landmarks", choices=("5", "68"), default="5",
                   help="68 is non-commercial (iBUG 300-W): explicit opt-in only")
    p.add_argument("--worker", action="store_true", help="run dlib in a worker process")
    p.add_argument("--json", action="store_true")


def _verifier(args: argparse.Namespace, liveness: bool = True) -> DlibFaceVerifier:
    return DlibFaceVerifier(threshold=args.threshold, landmarks=args.landmarks,
                            worker=args.worker, liveness=liveness)


def _frames(args: argparse.Namespace, challenge: tuple[str, ...]) -> Iterator[Frame]:
    import cv2

    source = args.source
    if Path(source).suffix.lower() in IMAGE_SUFFIXES:  # a photo held still to a camera
        bgr = cv2.imread(source)
        if bgr is None:
            raise FaceError("bad_source", source)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        for i in range(args.still_frames):
            yield Frame(rgb.shape[1], rgb.shape[0], bytearray(rgb.tobytes()), i / 30)
        return
    if source.isdigit() or source.startswith("/dev/") or "://" in source:
        yield from _live(args, challenge)
        return
    first, last = 0, None
    if args.frames:
        a, _, b = args.frames.partition(":")
        first, last = int(a or 0), int(b) if b else None
    cap = cv2.VideoCapture(source)
    if not cap.isOpened():
        raise FaceError("bad_source", source)
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    i = 0
    try:
        while last is None or i < last:
            ok, bgr = cap.read()
            if not ok:
                break
            if i >= first:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                yield Frame(rgb.shape[1], rgb.shape[0], bytearray(rgb.tobytes()), i / fps)
            i += 1
    finally:
        cap.release()


def _live(args: argparse.Namespace, challenge: tuple[str, ...]) -> Iterator[Frame]:
    from kiosk.devices.opencv_camera import OpenCvCamera  # the kiosk's own driver

    inbox: queue.Queue[Frame] = queue.Queue(maxsize=4)

    def keep(frame: Frame) -> None:
        if inbox.full():  # the engine is behind: drop the oldest, as the kiosk would
            inbox.get_nowait()
        inbox.put_nowait(frame)

    camera = OpenCvCamera(args.source, width=640, height=480, fps=30)
    if challenge:
        print("please: " + ", then ".join(challenge), file=sys.stderr)
    camera.start(keep)
    deadline = time.monotonic() + args.seconds
    try:
        while time.monotonic() < deadline:
            try:
                yield inbox.get(timeout=1.0)
            except queue.Empty:
                if not camera.status.usable:
                    raise FaceError("camera_lost") from None
    finally:
        camera.close()


def _verify(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    liveness = not args.no_liveness
    verifier = _verifier(args, liveness)
    try:
        challenge = (tuple(a.strip() for a in args.challenge.split(",") if a.strip())
                     if args.challenge else verifier.new_challenge()) if liveness else ()
        unknown = set(challenge) - set(CHALLENGE_ACTIONS)
        if unknown:
            print(f"kiosk face: unknown challenge actions {sorted(unknown)}", file=sys.stderr)
            return 2
        verifier.stats()  # the models are loaded: timings below are the work itself
        t_ready = time.perf_counter()
        ref = verifier.enroll(args.reference.read_bytes())
        t_enrolled = time.perf_counter()
        observations, costs = [], []
        for frame in _frames(args, challenge):
            t = time.perf_counter()
            observations.append(verifier.observe(ref, frame))
            costs.append(time.perf_counter() - t)
            frame.wipe()
        t = time.perf_counter()
        decision = verifier.decide(ref, observations, challenge)
        t_decided = time.perf_counter()
        ref.wipe()
    except FaceError as e:
        print(f"kiosk face: {e.code} {e}", file=sys.stderr)
        return 2
    finally:
        verifier.close()
    ms = lambda s: round(s * 1000, 1)  # noqa: E731
    report = {
        "match": decision.matched, "outcome": decision.outcome.value,
        "distance": decision.score, "threshold": args.threshold,
        "frames_used": decision.frames_used, "frames_seen": len(observations),
        "liveness": {"passed": decision.liveness_passed, "challenge": list(decision.challenge),
                     "reason": decision.liveness_reason},
        "guidance": decision.guidance,
        "timings_ms": {"load": ms(t_ready - t0), "enroll": ms(t_enrolled - t_ready),
                       "observe_median": ms(statistics.median(costs)) if costs else None,
                       "observe_max": ms(max(costs)) if costs else None,
                       "decide": ms(t_decided - t), "total": ms(t_decided - t0)},
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        live = report["liveness"]
        tm = report["timings_ms"]
        print(f"match: {'yes' if decision.matched else 'no'} (faces: {decision.outcome.value}"
              f"{', liveness failed' if decision.liveness_passed is False else ''})")
        print(f"distance: {decision.score} (threshold {args.threshold})")
        print(f"frames used: {decision.frames_used} of {len(observations)}")
        print(f"liveness: passed={live['passed']} challenge={','.join(live['challenge']) or '-'}"
              f" reason={live['reason'] or '-'}")
        print(f"timings: load {tm['load']} ms, enroll {tm['enroll']} ms, observe median "
              f"{tm['observe_median']} ms/frame (max {tm['observe_max']}), decide "
              f"{tm['decide']} ms, total {tm['total']} ms")
    return 0 if decision.matched else 1


def _evaluate(args: argparse.Namespace) -> int:
    base = args.pairs.parent
    rows = []
    for n, line in enumerate(args.pairs.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 3 or parts[2].strip() not in ("same", "different"):
            print(f"kiosk face: {args.pairs}:{n}: want reference<TAB>probe<TAB>same|different",
                  file=sys.stderr)
            return 2
        rows.append((parts[0].strip(), parts[1].strip(), parts[2].strip()))
    verifier = _verifier(args, liveness=False)
    refs: dict[str, Any] = {}
    results = []
    try:
        for ref_name, probe, label in rows:  # paths relative to the TSV (or absolute)
            try:
                if ref_name not in refs:
                    refs[ref_name] = verifier.enroll((base / ref_name).read_bytes())
                d: float | None = verifier.compare_photo(refs[ref_name],
                                                         (base / probe).read_bytes())
                error = None
            except FaceError as e:  # no single face: the kiosk would refuse, i.e. reject
                d, error = None, e.code
            accepted = d is not None and d <= args.threshold
            results.append({"reference": ref_name, "probe": probe, "label": label,
                            "distance": None if d is None else round(d, 4),
                            "accepted": accepted, "error": error})
    finally:
        verifier.close()
    report = _summary(results, args.threshold)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{'reference':28} {'probe':28} {'label':9} {'distance':>8}  decision")
        for r in results:
            dist = "-" if r["distance"] is None else f"{r['distance']:.3f}"
            what = r["error"] or ("accept" if r["accepted"] else "reject")
            print(f"{r['reference']:28} {r['probe']:28} {r['label']:9} {dist:>8}  {what}")
        for kind in ("genuine", "impostor"):
            s = report[kind]
            print(f"{kind}: n={s['n']} min={s['min']} max={s['max']}")
        print(f"threshold {args.threshold}: false accepts {report['false_accepts']}, "
              f"false rejects {report['false_rejects']}")
    return 0


def _summary(results: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    def stats(label: str) -> dict[str, Any]:
        ds = [r["distance"] for r in results if r["label"] == label and r["distance"] is not None]
        return {"n": len(ds), "min": min(ds, default=None), "max": max(ds, default=None)}

    return {
        "threshold": threshold, "pairs": results,
        "genuine": stats("same"), "impostor": stats("different"),
        "false_accepts": sum(r["accepted"] and r["label"] == "different" for r in results),
        "false_rejects": sum(not r["accepted"] and r["label"] == "same" for r in results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk")
    add_face_commands(parser.add_subparsers(metavar="COMMAND"))
    args = parser.parse_args(["face", *(sys.argv[1:] if argv is None else argv)])
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
