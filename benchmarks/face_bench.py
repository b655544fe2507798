"""Per-frame cost of the kiosk's face engine against the naive way, on the same frames.

Naive: what ``face_recognition.face_locations`` + ``face_encodings`` do for
every frame, reproduced with the same dlib calls: HOG detection on the whole
frame upsampled once, 5-point landmarks, one encoding per face.
Ours: ``DlibFaceVerifier.observe`` (tracking, checks, landmarks, one encoding
in ``encode_every`` good frames), also forced to encode every good frame and
never to encode; ``decide`` on all observations; and the UI thread's worst
gap while a verification runs in the worker process (and, to show why the
worker exists, in a thread of the same process).

    .venv/bin/python benchmarks/face_bench.py [--frames 82:162] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from bench_result import Figure, Measured, Skip

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kiosk.identity.faceengine import DlibFaceVerifier  # noqa: E402
from kiosk.identity.faceengine.models import model_files  # noqa: E402
from kiosk.identity.frames import Frame  # noqa: E402

FACES = ROOT.parent / "shared" / "testdata" / "faces"


def load_clip(first: int, last: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(FACES / "miranda-live-clip.mp4"))
    frames, i = [], 0
    while i < last:
        ok, bgr = cap.read()
        if not ok:
            break
        if i >= first:
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        i += 1
    cap.release()
    return frames


def naive_costs(frames: list[np.ndarray]) -> tuple[list[float], float]:
    """face_recognition 1.3's face_locations(img) + face_encodings(img, locations)."""
    import dlib

    files = model_files("5")
    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(str(files.landmarks))
    encoder = dlib.face_recognition_model_v1(str(files.encoder))
    costs, encode_costs = [], []
    for img in frames:
        t = time.perf_counter()
        h, w = img.shape[:2]
        rects = detector(img, 1)
        # face_recognition trims each box to the image, then rebuilds the rectangle.
        boxes = [(max(r.top(), 0), min(r.right(), w), min(r.bottom(), h), max(r.left(), 0))
                 for r in rects]
        for top, right, bottom, left in boxes:
            shape = predictor(img, dlib.rectangle(left, top, right, bottom))
            te = time.perf_counter()
            np.array(encoder.compute_face_descriptor(img, shape, 1))
            encode_costs.append(time.perf_counter() - te)
        costs.append(time.perf_counter() - t)
    return costs, statistics.median(encode_costs)


def our_costs(frames: list[np.ndarray], encode: bool | None) -> tuple[list[float], float, int]:
    v = DlibFaceVerifier(worker=False)
    ref = v.enroll((FACES / "miranda-1.png").read_bytes())
    costs, observations = [], []
    for i, img in enumerate(frames):
        frame = Frame(img.shape[1], img.shape[0], bytearray(img.tobytes()), i / 30)
        t = time.perf_counter()
        observations.append(v.observe(ref, frame, encode=encode))
        costs.append(time.perf_counter() - t)
    t = time.perf_counter()
    v.decide(ref, observations, ("turn_right", "turn_left"))
    decide = time.perf_counter() - t
    encoded = sum(o.distance is not None for o in observations)
    v.close()
    return costs, decide, encoded


def worst_gap(run: Callable[[], None]) -> float:
    """The longest the calling ("UI") thread waited for its turn while ``run`` ran."""
    done = threading.Event()

    def target() -> None:
        try:
            run()
        finally:
            done.set()

    tick = threading.Event()  # never set: its wait is the UI loop's idle time
    worker = threading.Thread(target=target)
    worst, last = 0.0, time.perf_counter()
    worker.start()
    while not done.is_set():
        tick.wait(0.005)
        now = time.perf_counter()
        worst, last = max(worst, now - last), now
    worker.join()
    return worst


def verification(v: DlibFaceVerifier, frames: list[np.ndarray]) -> Callable[[], None]:
    def run() -> None:
        ref = v.enroll((FACES / "miranda-1.png").read_bytes())
        obs = [v.observe(ref, Frame(f.shape[1], f.shape[0], bytearray(f.tobytes()), i / 30))
               for i, f in enumerate(frames)]
        v.decide(ref, obs, ("turn_right", "turn_left"))
        ref.wipe()
    return run


def measure(a: int, b: int, gap_frames: int = 40) -> dict[str, Any]:
    """Every figure on clip frames a..b; the UI's worst gap on the first ``gap_frames``."""
    frames = load_clip(a, b)
    ms = lambda xs: round(statistics.median(xs) * 1000, 1)  # noqa: E731
    mean = lambda xs: round(statistics.fmean(xs) * 1000, 1)  # noqa: E731
    naive, one_encoding = naive_costs(frames)
    auto, decide, n_auto = our_costs(frames, None)
    every, _, n_every = our_costs(frames, True)
    never, _, _ = our_costs(frames, False)
    worker = DlibFaceVerifier(worker=True)
    worker.stats()  # warm: the kiosk starts it at boot
    gap_worker = worst_gap(verification(worker, frames[:gap_frames]))
    worker.close()
    inproc = DlibFaceVerifier(worker=False)
    gap_thread = worst_gap(verification(inproc, frames[:gap_frames]))
    return {
        "frames": len(frames), "clip_range": [a, b],
        "one_encoding_ms": round(one_encoding * 1000, 1),
        "naive_ms_per_frame": {"median": ms(naive), "mean": mean(naive)},
        "ours_ms_per_frame": {
            "default_policy": {"median": ms(auto), "mean": mean(auto), "encoded": n_auto},
            "encode_every_good_frame": {"median": ms(every), "mean": mean(every),
                                        "encoded": n_every},
            "geometry_only": {"median": ms(never), "mean": mean(never)},
        },
        "ratio_to_naive_mean": {
            "default_policy": round(statistics.fmean(auto) / statistics.fmean(naive), 2),
            "encode_every_good_frame": round(statistics.fmean(every) / statistics.fmean(naive),
                                             2),
            "geometry_only": round(statistics.fmean(never) / statistics.fmean(naive), 3),
        },
        "decide_ms": round(decide * 1000, 2),
        "ui_worst_gap_ms": {"worker_process": round(gap_worker * 1000, 1),
                            "thread_in_process": round(gap_thread * 1000, 1)},
    }


def bench(quick: bool = False) -> Measured:
    """The common entry point (``kiosk bench``). The ratios are of means, as in
    the table of docs/face.md: the default policy encodes one good frame in two,
    so its median alone would hide every encoding."""
    if not (FACES / "miranda-live-clip.mp4").is_file():
        raise Skip(f"the face test data is not here: {FACES} (the shared repository, "
                   "checked out beside this one)")
    a, b, gap_frames = (82, 94, 8) if quick else (82, 162, 40)
    r = measure(a, b, gap_frames)
    naive = r["naive_ms_per_frame"]["mean"]
    ours = r["ours_ms_per_frame"]
    baseline = "naive: face_recognition's HOG (upsampled) on the full frame + encoding"
    return Measured([
        Figure("face engine per frame, default policy (encode 1 in 2 good frames; mean)",
               ours["default_policy"]["mean"], "ms", naive, baseline,
               f"decide on {r['frames']} observations: {r['decide_ms']} ms"),
        Figure("face engine per frame, encoding every good frame (mean)",
               ours["encode_every_good_frame"]["mean"], "ms", naive, baseline,
               f"one encoding alone: {r['one_encoding_ms']} ms"),
        Figure("face engine per frame, geometry only (tracking, checks, landmarks; mean)",
               ours["geometry_only"]["mean"], "ms", naive, baseline),
        Figure("UI thread's worst gap during a verification, engine in the worker process",
               r["ui_worst_gap_ms"]["worker_process"], "ms",
               r["ui_worst_gap_ms"]["thread_in_process"],
               "the same verification in a thread of the UI's process",
               f"over {gap_frames} frames"),
    ], {"clip_frames": [a, b], "frames": r["frames"], "gap_frames": gap_frames})


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--frames", default="82:162", help="clip frames A:B (default: a challenge)")
    p.add_argument("--json-out", type=Path)
    args = p.parse_args()
    a, b = (int(x) for x in args.frames.split(":"))
    result = measure(a, b)
    n = result["frames"]
    rows = [
        ("naive (HOG x2 full frame + encode)", result["naive_ms_per_frame"], None),
        ("ours, default (encode 1 in 2 good)", result["ours_ms_per_frame"]["default_policy"],
         result["ratio_to_naive_mean"]["default_policy"]),
        ("ours, encode every good frame", result["ours_ms_per_frame"]["encode_every_good_frame"],
         result["ratio_to_naive_mean"]["encode_every_good_frame"]),
        ("ours, geometry only", result["ours_ms_per_frame"]["geometry_only"],
         result["ratio_to_naive_mean"]["geometry_only"]),
    ]
    print(f"{n} clip frames {a}:{b}; one encoding {result['one_encoding_ms']} ms")
    print(f"{'per frame':40} {'median ms':>10} {'mean ms':>9} {'x naive':>8}")
    for name, r, ratio in rows:
        print(f"{name:40} {r['median']:>10} {r['mean']:>9} {ratio if ratio else '':>8}")
    print(f"decide on {n} observations: {result['decide_ms']} ms")
    print(f"UI thread worst gap during a verification: worker process "
          f"{result['ui_worst_gap_ms']['worker_process']} ms, thread in process "
          f"{result['ui_worst_gap_ms']['thread_in_process']} ms")
    print(json.dumps(result))
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
