// A small command-line parser shared by the three binaries (`ringfence`, `ringfence-node`,
// `ringfence-coordinator`), so every command has the same `--name value` / `--name=value`
// syntax, the same `--help`, and the same clear error for an unknown or missing flag.
//
// Thread-compatible. Parsing never exits or throws: errors come back as INVALID_ARGUMENT
// naming the flag.
#ifndef RINGFENCE_BASE_CLI_H_
#define RINGFENCE_BASE_CLI_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ringfence::base {

struct FlagSpec {
  std::string name;         // without leading dashes
  std::string value_name;   // e.g. "DIR"; empty for a boolean switch
  std::string help;
  bool required = false;
  std::string default_value;  // used when not given and not required
};

struct CommandSpec {
  std::string usage;        // e.g. "ringfence-node preview --data DIR --la CODE --year YYYY"
  std::string description;  // a paragraph
  std::vector<FlagSpec> flags;
};

// Parsed flags of one command.
class ParsedFlags {
 public:
  bool Has(absl::string_view name) const;
  // The value, or the default from the spec, or "" for an absent switch.
  std::string Get(absl::string_view name) const;
  // INVALID_ARGUMENT naming the flag when the value is not an integer in [min, max].
  absl::StatusOr<int64_t> GetInt(absl::string_view name, int64_t min, int64_t max) const;
  bool help() const { return help_; }

 private:
  friend absl::StatusOr<ParsedFlags> ParseFlags(const CommandSpec&,
                                                const std::vector<std::string>&);
 public:
  ParsedFlags() = default;

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::map<std::string, std::string, std::less<>> defaults_;
  bool help_ = false;
};

// Parses `args` (without the program and subcommand names). `--help`/`-h` sets help() and
// skips the required-flag check. Errors: INVALID_ARGUMENT for an unknown flag, a missing
// value, a value given to a switch, a repeated flag, or a missing required flag.
absl::StatusOr<ParsedFlags> ParseFlags(const CommandSpec& spec,
                                       const std::vector<std::string>& args);

// The `--help` text of a command.
std::string HelpText(const CommandSpec& spec);

// The common entry of every command: parses `args` into `*flags` and returns nullopt to carry
// on; or prints the help text to stdout and returns 0; or prints "<program>: <error>" to
// stderr and returns 2 (usage error).
std::optional<int> ParseFlagsOrExit(absl::string_view program, const CommandSpec& spec,
                                    const std::vector<std::string>& args, ParsedFlags* flags);

}  // namespace ringfence::base

#endif  // RINGFENCE_BASE_CLI_H_
