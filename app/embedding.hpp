// Whether the command line runs inside another program: the Python module (bindings/python_module.cpp) says
// so once, when it is imported. A command then leaves the host process alone: no MPI job is started (an MPI
// launcher's environment around a Python script, or mpi4py, belongs to the script), and a second SIGINT
// during a campaign's stop does not end the process (a notebook's kernel would die with it).
#pragma once

namespace ftcnn::cli {

void set_embedded(bool embedded);
bool embedded();

}  // namespace ftcnn::cli
