"""The errors of ftcnn's commands as Python exceptions (the exit status of the same command line in brackets).

  Error           bad input, a failed write, out of memory: the one line the command line prints (1)
  UsageError      a malformed call: unknown option, missing or malformed value (2); also a ValueError
  InternalError   a bug in ftcnn (3): please report it with the call
  Interrupted     a campaign stopped by SIGTERM (143); calling it again resumes. A campaign stopped by
                  SIGINT (Ctrl-C, a notebook's stop button) raises KeyboardInterrupt with the same message.
"""


class Error(Exception):
    """An ftcnn command failed; the message is the line the command line prints, without 'ftcnn: error: '."""

    exit_status = 1


class UsageError(Error, ValueError):
    exit_status = 2


class InternalError(Error):
    exit_status = 3


class Interrupted(Error):
    exit_status = 143


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
    kinds = {1: Error, 2: UsageError, 3: InternalError}
    error = kinds.get(status, Interrupted)(message)
    error.exit_status = status
    raise error
