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
