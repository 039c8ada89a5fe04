"""The processor a benchmark ran on, recorded with every timing (timings compare only within one machine)."""

import platform
from pathlib import Path


def cpu_model():
    """The processor's model name from /proc/cpuinfo ("AMD EPYC 9B14"), else the machine type."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


ISA_EXTENSIONS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
                  "avx512_fp16", "amx_tile", "amx_bf16")


def cpu_isa():
    """The SIMD extensions that decide the BLAS and DNN kernels, from /proc/cpuinfo (as `ftcnn bench` lists them)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                return [e for e in ISA_EXTENSIONS if e in flags]
    except OSError:
        pass
    return []
