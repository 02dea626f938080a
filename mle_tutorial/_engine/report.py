"""How the package speaks: the one place that warns, and messages built from parts.

:func:`warn` points every warning at the first line outside the package (the caller's line),
however deep in the package it was raised: a frame walk, which works on every Python the
package supports (``warnings.warn(skip_file_prefixes=...)`` needs 3.12).
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from types import FrameType

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn(message: str, category: type[Warning]) -> None:
    """``warnings.warn`` with the stack level of the first frame outside the package."""
    frame: FrameType | None
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)


def sentence(text: str) -> str:
    """``text`` with no doubled full stop: messages are built from parts, an optimizer's message
    among them, that may or may not end in one."""
    return re.sub(r"(?<!\.)\.\.(?=\s|$)", ".", text.rstrip())
