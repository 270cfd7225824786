// The `tessera` driver: one binary, one subcommand per stage of the workflow.
#include "Commands.h"
#include "CompileCommand.h"

#include <cstring>
#include <iostream>
#include <new>
#include <string>

namespace {

void printHelp(std::ostream &os) {
  os << "usage: tessera COMMAND [ARGS]\n\n"
        "commands:\n"
        "  compile FILE.tg -o OUT.tsm   compile a graph into a module\n"
        "  opt FILE.tg                  print the IR after a lowering phase; inspect passes\n"
        "  run M.tsm --input N=F.npy    run a module on .npy inputs\n"
        "  bench M.tsm                  latency, throughput and per-dispatch GFLOP/s\n"
        "  dump M.tsm                   show what a module contains\n\n"
        "`tessera COMMAND --help` describes each command.\n";
}

int dispatchCommand(int argc, char **argv);

} // namespace

int main(int argc, char **argv) {
  // A request too large for this machine is a message and an exit code, never an abort.
  try {
    return dispatchCommand(argc, argv);
  } catch (const std::bad_alloc &) {
    std::cerr << "tessera: out of memory (the input asks for more than this machine has; see "
                 "--max-memory)\n";
    return tessera::tools::kExitFailure;
  }
}

namespace {

int dispatchCommand(int argc, char **argv) {
  using namespace tessera::tools;
  if (argc < 2) {
    printHelp(std::cerr);
    return kExitUsage;
  }
  std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    printHelp(std::cout);
    return kExitSuccess;
  }
  std::string progName = "tessera " + command;
  int subArgc = argc - 2;
  char **subArgv = argv + 2;
  if (command == "compile")
    return compileCommand(subArgc, subArgv, progName.c_str());
  if (command == "opt")
    return optCommand(subArgc, subArgv, progName.c_str());
  if (command == "run")
    return runCommand(subArgc, subArgv, progName.c_str());
  if (command == "bench")
    return benchCommand(subArgc, subArgv, progName.c_str());
  if (command == "dump")
    return dumpCommand(subArgc, subArgv, progName.c_str());
  std::cerr << "tessera: unknown command '" << command << "'\n";
  printHelp(std::cerr);
  return kExitUsage;
}

} // namespace
