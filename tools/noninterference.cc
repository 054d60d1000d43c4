#include "tools/noninterference.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "catalogue/catalogue.h"
#include "coordinator/combine.h"
#include "coordinator/proto_util.h"
#include "node/grid.h"
#include "node/protect.h"
#include "node/submit_client.h"
#include "policy/firewall.h"

namespace ringfence::tools {
namespace {

// Hands out `base`'s bytes and keeps a copy.
class RecordingSource final : public crypto::RandomSource {
 public:
  explicit RecordingSource(crypto::RandomSource& base) : base_(base) {}
  absl::Status Fill(uint8_t* out, size_t n) override {
    RINGFENCE_RETURN_IF_ERROR(base_.Fill(out, n));
    recorded_.insert(recorded_.end(), out, out + n);
    return absl::OkStatus();
  }
  const std::vector<uint8_t>& recorded() const { return recorded_; }

 private:
  crypto::RandomSource& base_;
  std::vector<uint8_t> recorded_;
};

// Replays recorded bytes; fails when asked for more than were recorded.
class ReplaySource final : public crypto::RandomSource {
 public:
  explicit ReplaySource(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  absl::Status Fill(uint8_t* out, size_t n) override {
    if (n > bytes_.size() - pos_) {
      return absl::FailedPreconditionError(
          "the variant drew more noise bytes than the original: noise depends on the data");
    }
    std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  bool exhausted() const { return pos_ == bytes_.size(); }

 private:
  const std::vector<uint8_t>& bytes_;
  size_t pos_ = 0;
};

absl::StatusOr<uint64_t> Below(crypto::RandomSource& rng, uint64_t n) {
  return crypto::UniformBelow(rng, n);
}

// What one run produces: the node's request and each checked class's release bytes.
struct RunOutput {
  v1::SubmitRequest request;
  std::map<std::string, std::string> release_bytes;           // class -> bytes
  std::map<std::string, coordinator::ReleaseTable> releases;  // class -> table
};

absl::StatusOr<RunOutput> Run(const node::LaData& data, int year, const policy::Policy& policy,
                              const std::vector<std::string>& classes,
                              crypto::RandomSource& noise) {
  RINGFENCE_ASSIGN_OR_RETURN(std::vector<int64_t> exact, node::ComputeExactGrid(data, year));
  RINGFENCE_ASSIGN_OR_RETURN(node::ProtectedGrid grid, node::ProtectGrid(exact, policy, noise));
  RunOutput out;
  RINGFENCE_ASSIGN_OR_RETURN(out.request,
                             node::BuildSubmitRequest(data.la_code, year, policy, grid));
  RINGFENCE_ASSIGN_OR_RETURN(coordinator::Submission submission,
                             coordinator::SubmissionFromProto(out.request, policy));
  RINGFENCE_ASSIGN_OR_RETURN(coordinator::ReleaseTable table,
                             coordinator::Combine(year, {submission}, policy));
  for (const std::string& c : classes) {
    coordinator::ReleaseAudience audience;
    audience.recipient_class = c;
    RINGFENCE_ASSIGN_OR_RETURN(coordinator::ReleaseTable filtered,
                               coordinator::FilterForRecipient(table, policy, audience));
    RINGFENCE_ASSIGN_OR_RETURN(
        out.release_bytes[c],
        coordinator::SerializeDeterministically(coordinator::ReleaseTableToProto(filtered)));
    out.releases[c] = std::move(filtered);
  }
  return out;
}

std::string LevelName(coordinator::GeographicLevel level) {
  return std::string(policy::GeoLevelName(coordinator::ToPolicyLevel(level)));
}

// The first cell at which two releases differ, described without values.
std::string FirstDifference(const coordinator::ReleaseTable& a,
                            const coordinator::ReleaseTable& b) {
  const size_t n = std::min(a.cells.size(), b.cells.size());
  for (size_t i = 0; i < n; ++i) {
    const auto& x = a.cells[i];
    const auto& y = b.cells[i];
    if (x.key.indicator != y.key.indicator || x.key.breakdown != y.key.breakdown ||
        x.key.group != y.key.group || x.level != y.level || x.la_code != y.la_code ||
        x.region_code != y.region_code || !(x.published == y.published)) {
      return absl::StrCat(x.key.indicator, "/", x.key.breakdown, "/", x.key.group, " (",
                          LevelName(x.level), ")");
    }
  }
  if (a.cells.size() != b.cells.size()) {
    return absl::StrCat("the number of cells (", a.cells.size(), " vs ", b.cells.size(), ")");
  }
  return "metadata (not a cell)";
}

bool SameCell(const v1::ProtectedCell& a, const v1::ProtectedCell& b) {
  return a.noisy_value() == b.noisy_value() && a.suppressed() == b.suppressed() &&
         a.rounded_value() == b.rounded_value();
}

}  // namespace

std::vector<SensitiveVariant> StandardSensitiveVariants() {
  using node::LaData;
  using node::SensitiveRecord;
  std::vector<SensitiveVariant> v;
  v.push_back({"shuffled", [](LaData* d, crypto::RandomSource& rng) {
                 // Fisher-Yates over the rows' children: the same values, other children.
                 auto& s = d->sensitive;
                 for (size_t i = s.size(); i > 1; --i) {
                   auto j = Below(rng, i);
                   if (!j.ok()) return;
                   std::swap(s[i - 1].child, s[*j].child);
                 }
               }});
  v.push_back({"blank", [](LaData* d, crypto::RandomSource&) { d->sensitive.clear(); }});
  v.push_back({"all-same", [](LaData* d, crypto::RandomSource&) {
                 d->sensitive.clear();
                 for (size_t c = 0; c < d->children.size(); ++c) {
                   SensitiveRecord r;
                   r.child = static_cast<node::ChildIndex>(c);
                   r.nationality = node::NationalityGroup::kOther;
                   r.immigration_status = node::ImmigrationStatus::kAsylumSeeker;
                   r.nrpf = node::Nrpf::kYes;
                   d->sensitive.push_back(r);
                 }
               }});
  v.push_back({"random", [](LaData* d, crypto::RandomSource& rng) {
                 d->sensitive.clear();
                 for (size_t c = 0; c < d->children.size(); ++c) {
                   auto pick = Below(rng, 1u << 20);
                   if (!pick.ok()) return;
                   const uint64_t r = *pick;
                   if (r % 7 == 0) continue;  // some children have no sensitive row
                   SensitiveRecord rec;
                   rec.child = static_cast<node::ChildIndex>(c);
                   rec.nationality = static_cast<node::NationalityGroup>((r >> 3) % 4);
                   rec.immigration_status = static_cast<node::ImmigrationStatus>((r >> 5) % 8);
                   rec.nrpf = static_cast<node::Nrpf>((r >> 8) % 3);
                   d->sensitive.push_back(rec);
                 }
               }});
  return v;
}

absl::StatusOr<NoninterferenceReport> CheckNoninterference(
    node::LaData* la_data, int year, const policy::Policy& policy,
    const std::vector<SensitiveVariant>& variants, std::vector<std::string> classes,
    crypto::RandomSource& noise_source, crypto::RandomSource& variant_rng) {
  if (classes.empty()) {
    for (const policy::RecipientClass& c : policy.classes) {
      if (c.enforcement || c.is_public) classes.push_back(c.name);
    }
  }
  NoninterferenceReport report;
  report.classes_checked = classes;

  RecordingSource recorder(noise_source);
  RINGFENCE_ASSIGN_OR_RETURN(RunOutput base, Run(*la_data, year, policy, classes, recorder));
  // Variants edit only the sensitive records; the original is put back before returning.
  const std::vector<node::SensitiveRecord> original = la_data->sensitive;
  const auto& cells = catalogue::GridCells();
  const std::vector<int> sent = policy::SendableCells(policy);
  std::vector<bool> tainted_changed(sent.size(), false);

  for (const SensitiveVariant& variant : variants) {
    la_data->sensitive = original;
    variant.apply(la_data, variant_rng);
    ReplaySource replay(recorder.recorded());
    absl::StatusOr<RunOutput> run = Run(*la_data, year, policy, classes, replay);
    if (!run.ok()) {
      report.pass = false;
      report.lines.push_back(absl::StrCat("FAIL ", variant.name, ": ", run.status().message()));
      continue;
    }
    std::string failure;
    if (!replay.exhausted()) {
      failure = "the variant drew fewer noise bytes than the original: noise depends on the data";
    }
    for (size_t k = 0; k < sent.size() && failure.empty(); ++k) {
      const auto& key = cells[sent[k]];
      const bool same = SameCell(base.request.cells(k), run->request.cells(k));
      if (policy::IsTainted(policy, key.indicator, key.breakdown)) {
        if (!same) tainted_changed[k] = true;
      } else if (!same) {
        failure = absl::StrCat("untainted cell ", key.indicator, "/", key.breakdown, "/", key.group,
                               " differs in what the node sends");
      }
    }
    for (const std::string& c : classes) {
      if (!failure.empty()) break;
      if (base.release_bytes[c] != run->release_bytes[c]) {
        failure = absl::StrCat(c, " release differs at ",
                               FirstDifference(base.releases[c], run->releases[c]));
      }
    }
    if (failure.empty()) {
      report.lines.push_back(absl::StrCat("PASS ", variant.name));
    } else {
      report.pass = false;
      report.lines.push_back(absl::StrCat("FAIL ", variant.name, ": ", failure));
    }
  }
  la_data->sensitive = original;
  report.tainted_cells_changed =
      static_cast<int>(std::count(tainted_changed.begin(), tainted_changed.end(), true));
  return report;
}

}  // namespace ringfence::tools
