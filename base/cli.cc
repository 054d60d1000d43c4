#include "base/cli.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"

namespace ringfence::base {

bool ParsedFlags::Has(absl::string_view name) const {
  return values_.find(name) != values_.end();
}

std::string ParsedFlags::Get(absl::string_view name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  auto d = defaults_.find(name);
  return d == defaults_.end() ? "" : d->second;
}

absl::StatusOr<int64_t> ParsedFlags::GetInt(absl::string_view name, int64_t min,
                                            int64_t max) const {
  std::string v = Get(name);
  int64_t out = 0;
  if (!absl::SimpleAtoi(v, &out) || out < min || out > max) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--%s: expected a whole number from %d to %d, got '%s'", name, min, max, v));
  }
  return out;
}

absl::StatusOr<ParsedFlags> ParseFlags(const CommandSpec& spec,
                                       const std::vector<std::string>& args) {
  ParsedFlags parsed;
  for (const FlagSpec& f : spec.flags) {
    if (!f.default_value.empty()) parsed.defaults_[f.name] = f.default_value;
  }
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      parsed.help_ = true;
      return parsed;
    }
    if (!absl::StartsWith(arg, "--") || arg.size() == 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "' (flags are --name value)"));
    }
    arg.remove_prefix(2);
    std::string name(arg);
    std::optional<std::string> value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = std::string(arg.substr(0, eq));
      value = std::string(arg.substr(eq + 1));
    }
    const FlagSpec* flag = nullptr;
    for (const FlagSpec& f : spec.flags) {
      if (f.name == name) flag = &f;
    }
    if (flag == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag --", name, "; see --help"));
    }
    if (parsed.values_.count(name) > 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " given twice"));
    }
    if (flag->value_name.empty()) {
      if (value.has_value()) {
        return absl::InvalidArgumentError(absl::StrCat("--", name, " takes no value"));
      }
      parsed.values_[name] = "true";
      continue;
    }
    if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--", name, " needs a value (", flag->value_name, ")"));
      }
      value = args[++i];
    }
    parsed.values_[name] = *value;
  }
  for (const FlagSpec& f : spec.flags) {
    if (f.required && !parsed.Has(f.name)) {
      return absl::InvalidArgumentError(absl::StrCat("missing required flag --", f.name, " ",
                                                     f.value_name, "; see --help"));
    }
  }
  return parsed;
}

std::string HelpText(const CommandSpec& spec) {
  std::string out = absl::StrCat("usage: ", spec.usage, "\n\n", spec.description, "\n");
  if (!spec.flags.empty()) absl::StrAppend(&out, "\nflags:\n");
  for (const FlagSpec& f : spec.flags) {
    std::string left = absl::StrCat("  --", f.name,
                                    f.value_name.empty() ? "" : absl::StrCat(" ", f.value_name));
    absl::StrAppend(&out, absl::StrFormat("%-28s %s", left, f.help));
    if (f.required) absl::StrAppend(&out, " (required)");
    if (!f.default_value.empty()) absl::StrAppend(&out, " (default ", f.default_value, ")");
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::optional<int> ParseFlagsOrExit(absl::string_view program, const CommandSpec& spec,
                                    const std::vector<std::string>& args, ParsedFlags* flags) {
  absl::StatusOr<ParsedFlags> parsed = ParseFlags(spec, args);
  if (!parsed.ok()) {
    std::cerr << program << ": " << parsed.status().message() << "\n";
    return 2;
  }
  if (parsed->help()) {
    std::cout << HelpText(spec);
    return 0;
  }
  *flags = *std::move(parsed);
  return std::nullopt;
}

}  // namespace ringfence::base
