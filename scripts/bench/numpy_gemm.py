#!/usr/bin/env python3
"""Times numpy (OpenBLAS) float32 GEMM for the shapes given, for `mlrsnet-bench gemm`.

Run as `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=t python3 numpy_gemm.py
--shapes 256x256x256,64x576x8192:NT --reps 7`; the thread count must be set in the environment
before numpy loads OpenBLAS. A shape is MxNxK with an optional :AB suffix, A and B each N (plain)
or T (transposed operand: op(A) = Aᵀ with A stored K×M, op(B) = Bᵀ with B stored N×K).

Prints one JSON object: {"blas": <library and kernel>, "threads": t, "results": [{"shape", "gflops",
"samples"}]}. Each sample times enough back-to-back calls to last about --sample-ms; the reported
GFLOP/s is the median sample, after warm-up.
"""
import argparse
import ctypes
import json
import os
import statistics
import sys
import time


def blas_info():
    """OpenBLAS library, version and core (kernel) name as loaded by numpy."""
    try:
        from threadpoolctl import threadpool_info  # optional
        for lib in threadpool_info():
            if lib.get("internal_api") == "openblas":
                return (f"{os.path.basename(lib.get('filepath', '?'))} {lib.get('version')} "
                        f"kernel={lib.get('architecture')} threads={lib.get('num_threads')}")
    except ImportError:
        pass
    # Without threadpoolctl: find the OpenBLAS that numpy loaded and ask it directly.
    try:
        paths = set()
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if "openblas" in os.path.basename(path).lower():
                    paths.add(path)
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            for prefix in ("", "scipy_"):
                for suffix in ("", "64_"):
                    core = getattr(lib, f"{prefix}openblas_get_corename{suffix}", None)
                    config = getattr(lib, f"{prefix}openblas_get_config{suffix}", None)
                    threads = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}", None)
                    if core is not None:
                        core.restype = ctypes.c_char_p
                        text = f"{os.path.basename(path)} kernel={core().decode()}"
                        if config is not None:
                            config.restype = ctypes.c_char_p
                            text += f" ({config().decode().strip()})"
                        if threads is not None:
                            threads.restype = ctypes.c_int
                            text += f" threads={threads()}"
                        return text
    except OSError:
        pass
    import numpy as np
    cfg = np.show_config(mode="dicts")
    blas = cfg.get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name')} {blas.get('version')} ({blas.get('openblas configuration', '').strip()})"


def parse_shape(text):
    dims, _, flags = text.partition(":")
    m, n, k = (int(x) for x in dims.lower().split("x"))
    flags = (flags or "NN").upper()
    return m, n, k, flags[0] == "T", flags[1] == "T"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", required=True)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--sample-ms", type=float, default=40.0)
    args = ap.parse_args()

    import numpy as np
    rng = np.random.default_rng(0)
    results = []
    for spec in args.shapes.split(","):
        m, n, k, ta, tb = parse_shape(spec)
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        opa, opb = (a.T if ta else a), (b.T if tb else b)
        c = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        for _ in range(3):
            np.matmul(opa, opb, out=c)
        t0 = time.perf_counter()
        np.matmul(opa, opb, out=c)
        once = max(time.perf_counter() - t0, 1e-7)
        calls = max(1, int(args.sample_ms / 1e3 / once))
        samples = []
        for _ in range(args.reps):
            t0 = time.perf_counter()
            for _ in range(calls):
                np.matmul(opa, opb, out=c)
            samples.append(flops * calls / (time.perf_counter() - t0) / 1e9)
        results.append({"shape": spec, "gflops": statistics.median(samples), "samples": samples})
    print(json.dumps({"blas": blas_info(), "numpy": np.__version__,
                      "threads": os.environ.get("OPENBLAS_NUM_THREADS", "default"), "results": results}))


if __name__ == "__main__":
    sys.exit(main())
