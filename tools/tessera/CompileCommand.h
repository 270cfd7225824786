// `tessera compile` and `tessera opt`: the DSL front half of the driver.
#ifndef TESSERA_TOOLS_COMPILECOMMAND_H
#define TESSERA_TOOLS_COMPILECOMMAND_H

namespace tessera::tools {

int compileCommand(int argc, char **argv, const char *progName);
int optCommand(int argc, char **argv, const char *progName);

} // namespace tessera::tools

#endif // TESSERA_TOOLS_COMPILECOMMAND_H
