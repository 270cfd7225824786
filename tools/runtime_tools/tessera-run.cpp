// tessera-run: runs a compiled module on .npy inputs; `tessera-run bench M.tsm` benchmarks it,
// `tessera-run dump M.tsm` lists it (what travels to a GPU machine needs no compiler).
// All logic lives in runCommand / benchCommand so the `tessera run` and `tessera bench`
// subcommands behave identically.
#include "Commands.h"

#include <cstring>

int main(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "bench") == 0)
    return tessera::tools::benchCommand(argc - 2, argv + 2, "tessera-run bench");
  if (argc > 1 && std::strcmp(argv[1], "dump") == 0)
    return tessera::tools::dumpCommand(argc - 2, argv + 2, "tessera-run dump");
  return tessera::tools::runCommand(argc - 1, argv + 1, "tessera-run");
}
