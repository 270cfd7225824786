// tessera-run: runs a compiled module on .npy inputs; `tessera-run bench M.tsm` benchmarks it.
// All logic lives in runCommand / benchCommand so the `tessera run` and `tessera bench`
// subcommands behave identically.
#include "Commands.h"

#include <cstring>

int main(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "bench") == 0)
    return tessera::tools::benchCommand(argc - 2, argv + 2, "tessera-run bench");
  return tessera::tools::runCommand(argc - 1, argv + 1, "tessera-run");
}
