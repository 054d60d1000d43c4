// ringfence: the project's tool for operators, recipients and auditors.
//
//   ringfence pki init|issue|show ...   test/demo PKI (tools/pki_command.cc)
//   ringfence synth ...                 synthetic SSDA903 exports (tools/synth_command.cc)
//   ringfence release ...               fetch a released table as CSV (tools/release_command.cc)
//   ringfence collection open|close|status|list  administer collections (operators;
//                                       tools/collection_command.cc)
//   ringfence policy check|explain|digest  check and explain a policy (tools/policy_command.cc)
//   ringfence audit noninterference ...  test the firewall on an LA's data (tools/audit_command.cc)
//
// A global option may come before the command: --la-register FILE replaces the built-in LA list
// for this run (catalogue/la_registry.h; docs/coordinator.md, "The LA register"), so that e.g.
// `pki issue` and `collection open` accept the LAs of the register the coordinator runs with.
//
// Exit codes: 0 success, 1 failure (message on stderr), 2 usage error.
#include <iostream>
#include <string>
#include <vector>

#include "catalogue/la_registry.h"
#include "tools/audit_command.h"
#include "tools/commands.h"
#include "tools/policy_command.h"

namespace {

void PrintHelp() {
  std::cout << "usage: ringfence [--la-register FILE] <command> [flags]\n\n"
               "commands:\n"
               "  pki       make and inspect test/demo certificates (init, issue, show)\n"
               "  synth     write synthetic SSDA903 exports for real LA codes\n"
               "  release   fetch the released table for a year as tidy CSV (recipients)\n"
               "  collection  open, close, follow and list collections (operators)\n"
               "  policy    check a policy file, explain what a recipient class receives, or\n"
               "            print its digest (exit 0 pass, 1 refused, 2 usage error)\n"
               "  audit     noninterference: check on an LA's own data that nothing enforcement\n"
               "            or the public receives depends on its sensitive.csv\n\n"
               "Run 'ringfence <command> --help' for a command's flags. Before the command,\n"
               "'--la-register FILE' replaces the built-in LA list (docs/coordinator.md).\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintHelp();
    return 2;
  }
  int first = 1;  // the command's index in argv
  if (std::string(argv[1]) == "--la-register") {
    if (argc < 4) {
      PrintHelp();
      return 2;
    }
    absl::Status installed = ringfence::catalogue::InstallLaRegisterFile(argv[2]);
    if (!installed.ok()) {
      std::cerr << "ringfence: --la-register: " << installed.message() << "\n";
      return 1;
    }
    first = 3;
  }
  const std::string command = argv[first];
  std::vector<std::string> args(argv + first + 1, argv + argc);
  if (command == "--help" || command == "-h" || command == "help") {
    PrintHelp();
    return 0;
  }
  if (command == "pki") return ringfence::tools::RunPkiCommand(args);
  if (command == "synth") return ringfence::tools::RunSynthCommand(args);
  if (command == "release") return ringfence::tools::RunReleaseCommand(args);
  if (command == "collection") return ringfence::tools::RunCollectionCommand(args);
  if (command == "policy") return ringfence::tools::RunPolicyCommand(args);
  if (command == "audit") return ringfence::tools::RunAuditCommand(args);
  std::cerr << "ringfence: unknown command '" << command << "'; see --help\n";
  return 2;
}
