#include "tools/release_csv.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "catalogue/catalogue.h"
#include "catalogue/la_registry.h"

namespace ringfence::tools {
namespace {

namespace v1 = ::ringfence::v1;

constexpr char kHeaderPrefix[] =
    "time_period,time_identifier,geographic_level,country_code,country_name,"
    "region_code,"
    "region_name,new_la_code,la_name,breakdown,group";

std::string CsvField(absl::string_view s) {
  if (s.find_first_of(",\"\r\n") == absl::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

const char* LevelName(v1::GeographicLevel level) {
  switch (level) {
    case v1::NATIONAL:
      return "National";
    case v1::REGIONAL:
      return "Regional";
    case v1::LOCAL_AUTHORITY:
      return "Local authority";
    default:
      return nullptr;
  }
}

std::string CellName(const v1::ReleasedCell& c) {
  return absl::StrCat(c.key().indicator(), "/", c.key().breakdown(), "/", c.key().group(), " (",
                      LevelName(c.level()) ? LevelName(c.level()) : "no level", " ",
                      c.la_code().empty() ? c.region_code() : c.la_code(), ")");
}

absl::Status CheckGeography(int index, const v1::ReleasedCell& c) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("release cell ", index + 1, " ", CellName(c), ": ", why));
  };
  switch (c.level()) {
    case v1::NATIONAL:
      if (!c.region_code().empty() || !c.la_code().empty()) {
        return bad("a national row has region or LA fields");
      }
      break;
    case v1::REGIONAL:
      if (c.region_code().empty() || !c.la_code().empty()) {
        return bad("a regional row needs a region code and no LA fields");
      }
      break;
    case v1::LOCAL_AUTHORITY:
      if (c.la_code().empty()) return bad("an LA row has no LA code");
      break;
    default:
      return bad("unknown geographic level");
  }
  if (c.key().indicator().empty() || c.key().breakdown().empty() || c.key().group().empty()) {
    return bad("empty indicator, breakdown or group");
  }
  return absl::OkStatus();
}

// Suffixes of the two uncertainty columns that follow the value columns, one
// pair per indicator.
constexpr char kSdSuffix[] = "_noise_sd";
constexpr char kHalfWidthSuffix[] = "_ci95_half_width";

// The uncertainty fields must be what the coordinator derives from the exact
// variance (coordinator::NoiseUncertaintyOf); a release where they disagree, or
// from a coordinator that does not set them, is malformed rather than
// published with a wrong interval.
absl::Status CheckUncertainty(int index, const v1::ReleasedCell& c) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("release cell ", index + 1, " ", CellName(c), ": ", why));
  };
  if (c.noise_variance_denominator() == 0) {
    return bad("no noise variance (zero denominator)");
  }
  const double sd = std::sqrt(static_cast<double>(c.noise_variance_numerator()) /
                              static_cast<double>(c.noise_variance_denominator()));
  if (!std::isfinite(c.noise_sd()) || std::abs(c.noise_sd() - sd) > 1e-9 * std::max(1.0, sd)) {
    return bad(absl::StrFormat("noise_sd %g is not the square root of the noise variance %d/%d",
                               c.noise_sd(), c.noise_variance_numerator(),
                               c.noise_variance_denominator()));
  }
  // At least the noise part, 1.96 sd; the rounding half-step comes on top.
  if (!std::isfinite(c.ci95_half_width()) ||
      c.ci95_half_width() < 1.96 * sd - 1e-9 * std::max(1.0, sd)) {
    return bad(absl::StrFormat("ci95_half_width %g is below 1.96 * noise_sd", c.ci95_half_width()));
  }
  return absl::OkStatus();
}

// Three decimals: finer than any count, coarse enough to read.
std::string FormatUncertainty(double x) { return absl::StrFormat("%.3f", x); }

struct Row {
  const v1::ReleasedCell* first;  // geography and breakdown/group come from here
  std::map<std::string, const v1::ReleasedCell*> by_indicator;
};

}  // namespace

absl::StatusOr<ReleaseCsv> FormatReleaseCsv(const v1::ReleaseResponse& release) {
  // Indicator columns: the catalogue's, then unknown ones in order of
  // appearance.
  std::vector<std::string> indicators;
  std::set<std::string> known;
  std::set<std::pair<std::string, std::string>> has_breakdown;  // (indicator, breakdown)
  for (const catalogue::Indicator& ind : catalogue::Indicators()) {
    indicators.push_back(ind.name);
    known.insert(ind.name);
    for (const std::string& b : ind.breakdowns) has_breakdown.emplace(ind.name, b);
  }

  // Rows keyed by geography x breakdown x group, in order of first appearance.
  using RowKey = std::tuple<int, std::string, std::string, std::string, std::string>;
  std::map<RowKey, size_t> row_index;
  std::vector<Row> rows;
  for (int i = 0; i < release.cells_size(); ++i) {
    const v1::ReleasedCell& c = release.cells(i);
    absl::Status geo = CheckGeography(i, c);
    if (!geo.ok()) return geo;
    absl::Status uncertainty = CheckUncertainty(i, c);
    if (!uncertainty.ok()) return uncertainty;
    const std::string& indicator = c.key().indicator();
    if (known.insert(indicator).second) indicators.push_back(indicator);
    has_breakdown.emplace(indicator, c.key().breakdown());
    RowKey key{c.level(), c.region_code(), c.la_code(), c.key().breakdown(), c.key().group()};
    auto [it, inserted] = row_index.emplace(key, rows.size());
    if (inserted) rows.push_back(Row{&c, {}});
    if (!rows[it->second].by_indicator.emplace(indicator, &c).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("release cell ", i + 1, " ", CellName(c), " appears twice"));
    }
  }

  // Value columns, then each indicator's uncertainty pair. An unknown
  // indicator whose name clashes with another column cannot be written.
  std::vector<std::string> columns = absl::StrSplit(kHeaderPrefix, ',');
  for (const std::string& ind : indicators) columns.push_back(ind);
  for (const std::string& ind : indicators) {
    columns.push_back(absl::StrCat(ind, kSdSuffix));
    columns.push_back(absl::StrCat(ind, kHalfWidthSuffix));
  }
  std::set<std::string> seen;
  for (const std::string& column : columns) {
    if (!seen.insert(column).second) {
      return absl::InvalidArgumentError(absl::StrCat("release has an indicator whose column name '",
                                                     column, "' clashes with another column"));
    }
  }

  ReleaseCsv out;
  std::vector<std::string> header;
  for (const std::string& column : columns) header.push_back(CsvField(column));
  absl::StrAppend(&out.text, absl::StrJoin(header, ","), "\n");

  const std::string year = absl::StrCat(release.year());
  const std::string country_code = std::string(catalogue::kEnglandCode);
  const std::string country_name = std::string(catalogue::kEnglandName);
  for (const Row& row : rows) {
    const v1::ReleasedCell& g = *row.first;
    const bool national = g.level() == v1::NATIONAL;
    const bool la = g.level() == v1::LOCAL_AUTHORITY;
    std::vector<std::string> fields = {
        year,
        "Reporting year",
        LevelName(g.level()),
        country_code,
        country_name,
        national ? "" : CsvField(g.region_code()),
        national ? "" : CsvField(g.region_name()),
        la ? CsvField(g.la_code()) : "",
        la ? CsvField(g.la_name()) : "",
        CsvField(g.key().breakdown()),
        CsvField(g.key().group()),
    };
    // The marker of a cell that is not in the row: x (withheld) or z (the
    // indicator has no such breakdown); its uncertainty columns repeat it.
    auto absent = [&](const std::string& ind) -> std::string {
      return has_breakdown.count({ind, g.key().breakdown()}) > 0 ? "x" : "z";
    };
    for (const std::string& ind : indicators) {
      auto it = row.by_indicator.find(ind);
      if (it == row.by_indicator.end()) {
        fields.push_back(absent(ind));
      } else {
        fields.push_back(it->second->suppressed() ? "c" : absl::StrCat(it->second->value()));
      }
    }
    for (const std::string& ind : indicators) {
      auto it = row.by_indicator.find(ind);
      if (it == row.by_indicator.end()) {
        fields.push_back(absent(ind));
        fields.push_back(absent(ind));
        continue;
      }
      const v1::ReleasedCell& c = *it->second;
      // A suppressed cell's noise SD is public (it depends on no value) and
      // shows how uncertain the suppression was; with no value to centre it
      // on, its interval is `c` like the value.
      fields.push_back(FormatUncertainty(c.noise_sd()));
      fields.push_back(c.suppressed() ? "c" : FormatUncertainty(c.ci95_half_width()));
    }
    absl::StrAppend(&out.text, absl::StrJoin(fields, ","), "\n");
    ++out.rows;
  }
  return out;
}

std::string SummariseRelease(const v1::ReleaseResponse& release, int rows,
                             absl::string_view out_path) {
  std::string england = "not in release";
  for (const v1::ReleasedCell& c : release.cells()) {
    if (c.level() != v1::NATIONAL || c.key().indicator() != "cla" ||
        c.key().breakdown() != "total" || c.key().group() != "total") {
      continue;
    }
    const std::string value = c.suppressed() ? "c" : absl::StrCat(c.value());
    if (c.noise_variance_denominator() == 0) {
      england = absl::StrCat(value, " (noise SD unknown)");
    } else {
      const double sd = std::sqrt(static_cast<double>(c.noise_variance_numerator()) /
                                  static_cast<double>(c.noise_variance_denominator()));
      england = absl::StrFormat("%s (noise SD %.1f)", value, sd);
    }
    break;
  }
  std::string filtered;
  if (!release.recipient_class().empty()) {
    // Both come from the peer: escaped, so they cannot forge terminal output.
    filtered = absl::StrCat("; class ", absl::CEscape(release.recipient_class()), ", policy ",
                            absl::CEscape(release.policy_digest().substr(0, 12)));
  }
  return absl::StrCat("release ", release.year(), ": ", release.la_codes_size(),
                      release.la_codes_size() == 1 ? " LA, " : " LAs, ", rows,
                      rows == 1 ? " row" : " rows", " written to ", out_path, "; England cla ",
                      england, filtered);
}

}  // namespace ringfence::tools
