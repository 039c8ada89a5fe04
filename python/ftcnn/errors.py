"""The errors of ftcnn's commands as Python exceptions (the exit status of the same command line in brackets).

  Error           bad input, a failed write, out of memory: the one line the command line prints (1)
  UsageError      a malformed call: unknown option, missing or malformed value (2); also a ValueError
  InternalError   a bug in ftcnn (3): please report it with the call
  Interrupted     a campaign stopped by SIGTERM (143): a SystemExit, not an Error; calling it again resumes.
                  A campaign stopped by SIGINT (Ctrl-C, a notebook's stop button) raises KeyboardInterrupt
                  with the same message.
"""

import sys


class Error(Exception):
    """An ftcnn command failed; the message is the line the command line prints, without 'ftcnn: error: '."""

    exit_status = 1


class UsageError(Error, ValueError):
    exit_status = 2


class InternalError(Error):
    exit_status = 3


class Interrupted(SystemExit):
    """SIGTERM (a scheduler's time limit, scancel): not an Error, so that `except ftcnn.Error` does not keep a
    job running that was told to stop; uncaught, it ends Python with the command line's status (143)."""

    def __init__(self, message, status=143):
        super().__init__(status)
        self.message = message
        self.exit_status = status

    def __str__(self):
        return self.message


def raise_for(status, message):
    """Raises the exception of a command's exit status; returns for 0."""
    if status == 0:
        return
    for prefix in ("ftcnn: error: ", "ftcnn: internal error: ", "ftcnn: "):
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    if status == 130:
        raise KeyboardInterrupt(message)
    if status > 128:
        sys.stderr.write(f"ftcnn: {message}\n")  # SystemExit prints no message of its own
        raise Interrupted(message, status)
    error = {2: UsageError, 3: InternalError}.get(status, Error)(message)
    error.exit_status = status
    raise error
