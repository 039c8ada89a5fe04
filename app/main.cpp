// ftcnn: fault-tolerance studies of CNNs with bit flips in their float32 parameters.
// Subcommands are registered from their own files (app/cli_app.cpp lists them); errors end as one line on
// stderr and a non-zero exit.
#include "app/cli_app.hpp"

int main(int argc, char** argv) {
  return ftcnn::cli::run(argc, argv);
}
