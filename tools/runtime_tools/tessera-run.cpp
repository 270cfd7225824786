// tessera-run: runs a compiled module on .npy inputs. All logic lives in runCommand so the
// `tessera run` subcommand behaves identically.
#include "Commands.h"

int main(int argc, char **argv) {
  return tessera::tools::runCommand(argc - 1, argv + 1, "tessera-run");
}
