// Subcommands of the `ringfence` tool. Each takes the arguments after its own name and returns
// the process exit code (0 success, 1 failure with a message on stderr, 2 usage error).
#ifndef RINGFENCE_TOOLS_COMMANDS_H_
#define RINGFENCE_TOOLS_COMMANDS_H_

#include <string>
#include <vector>

namespace ringfence::tools {

int RunPkiCommand(const std::vector<std::string>& args);      // tools/pki_command.cc
int RunSynthCommand(const std::vector<std::string>& args);    // tools/synth_command.cc
int RunReleaseCommand(const std::vector<std::string>& args);  // tools/release_command.cc
int RunCollectionCommand(const std::vector<std::string>& args);  // tools/collection_command.cc

}  // namespace ringfence::tools

#endif  // RINGFENCE_TOOLS_COMMANDS_H_
