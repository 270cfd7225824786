// Runtime commands shared by `tessera-run` and the full `tessera` driver.
//
// `argv` holds only the command's arguments: not the program name, not the subcommand name
// (`tessera run M.tsm ...` calls runCommand(argc - 2, argv + 2, "tessera run")). `progName` is
// used in usage and error messages. Return values are process exit codes: 0 success,
// kExitFailure for runtime errors (bad files, failed runs), kExitUsage for command-line
// mistakes. Errors go to stderr, results to stdout.
#ifndef TESSERA_TOOLS_COMMANDS_H
#define TESSERA_TOOLS_COMMANDS_H

namespace tessera::tools {

constexpr int kExitSuccess = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

// run MODULE.tsm --input NAME=FILE.npy ... [--output NAME=FILE.npy ...] [--threads N]
//     [--iterations N]
int runCommand(int argc, char **argv, const char *progName);

// bench MODULE.tsm [--input NAME=FILE.npy ...] [--threads N] [--iterations N] [--warmup N]
//     [--top N] [--no-peak] [--json]: latency, throughput, per-dispatch GFLOP/s and percent of
//     the FMA peak measured in the same run.
int benchCommand(int argc, char **argv, const char *progName);

// dump MODULE.tsm: prints the module's interface, constants, executables and dispatches.
int dumpCommand(int argc, char **argv, const char *progName);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_COMMANDS_H
