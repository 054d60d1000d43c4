#include "node/testing/la_folder.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ringfence::node::testing {

absl::StatusOr<TempFolder> TempFolder::Create() {
  const char* base = std::getenv("TEST_TMPDIR");
  if (base == nullptr || *base == '\0') base = std::getenv("TMPDIR");
  if (base == nullptr || *base == '\0') base = "/tmp";
  std::string tmpl = absl::StrCat(base, "/ringfence-la-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", tmpl, ": ", std::strerror(errno)));
  }
  return TempFolder(tmpl);
}

TempFolder::TempFolder(TempFolder&& other) noexcept : path_(std::move(other.path_)) {
  other.path_.clear();
}

TempFolder& TempFolder::operator=(TempFolder&& other) noexcept {
  if (this != &other) {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempFolder::~TempFolder() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

absl::Status TempFolder::Write(absl::string_view name, absl::string_view contents) const {
  const std::string file = absl::StrCat(path_, "/", name);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat("cannot create ", file));
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", file));
  return absl::OkStatus();
}

std::string CsvLine(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    const std::string& f = fields[i];
    if (f.find_first_of(",\"\r\n") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += '\n';
  return out;
}

std::string TableCsv(Table table, const std::vector<std::vector<std::string>>& rows) {
  std::string out;
  for (const TableSchema& s : AllTableSchemas()) {
    if (s.table == table) out = CsvLine(s.columns);
  }
  for (const auto& row : rows) out += CsvLine(row);
  return out;
}

std::string HeaderCsv(const std::vector<HeaderRow>& rows) {
  std::vector<std::vector<std::string>> fields;
  for (const HeaderRow& r : rows) {
    fields.push_back({r.child, r.sex, r.dob, r.ethnic, r.upn, r.mother, r.mc_dob});
  }
  return TableCsv(Table::kHeader, fields);
}

EpisodeRow Episode(std::string child, std::string decom, std::string dec, std::string rec) {
  EpisodeRow e;
  e.child = std::move(child);
  e.decom = std::move(decom);
  e.dec = std::move(dec);
  e.rec = std::move(rec);
  return e;
}

std::string EpisodesCsv(const std::vector<EpisodeRow>& rows) {
  std::vector<std::vector<std::string>> fields;
  for (const EpisodeRow& r : rows) {
    fields.push_back({r.child, r.decom, r.rne, r.ls, r.cin, r.place, r.place_provider, r.dec, r.rec,
                      r.reason_place_change, r.home_post, r.pl_post, r.urn});
  }
  return TableCsv(Table::kEpisodes, fields);
}

}  // namespace ringfence::node::testing
