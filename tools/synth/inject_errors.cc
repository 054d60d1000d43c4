// InjectErrors (tools/synth/synth.h): known faults for validation tests.
#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "node/dates.h"
#include "tools/synth/civil_date.h"
#include "tools/synth/prng.h"
#include "tools/synth/synth.h"

namespace ringfence::tools::synth {
namespace {

constexpr size_t kNone = static_cast<size_t>(-1);

bool ParseDmy(const std::string& s, Day* out) {
  node::Date date;
  if (!node::TryParseDate(s, &date)) return false;
  *out = date.days();
  return true;
}

class Injector {
 public:
  Injector(LaDataset* ds, uint64_t seed)
      : ds_(ds),
        rng_(Rng::ForStream(seed, absl::StrCat("inject-errors:", ds->la_code),
                            static_cast<uint64_t>(ds->year))) {}

  InjectedFaults Run();

 private:
  SynthTable* Table(const std::string& file_name) {
    for (SynthTable& t : ds_->tables) {
      if (t.file_name == file_name) return &t;
    }
    return nullptr;
  }

  // A row of `t` whose child has no fault yet and that satisfies `ok`, starting
  // the scan at a random row; marks the child as used. kNone when there is
  // none.
  template <typename Pred>
  size_t PickRow(SynthTable* t, Pred ok) {
    if (t == nullptr || t->rows.empty()) return kNone;
    const int child = t->Col("CHILD");
    const size_t n = t->rows.size();
    const size_t from = static_cast<size_t>(rng_.Below(n));
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (from + k) % n;
      const std::vector<std::string>& row = t->rows[i];
      if (used_.count(row[child]) != 0 || !ok(row)) continue;
      used_.insert(row[child]);
      return i;
    }
    return kNone;
  }
  size_t PickAny(SynthTable* t) {
    return PickRow(t, [](const std::vector<std::string>&) { return true; });
  }

  // Records the error the loader must report on row `i` (0-based) of `t`.
  void Expect(const SynthTable& t, size_t i, const std::string& field) {
    expected_.push_back({t.file_name, static_cast<int>(i) + 2, field});
  }
  size_t Append(SynthTable* t, std::vector<std::string> row) {
    t->rows.push_back(std::move(row));
    return t->rows.size() - 1;
  }

  void HeaderFaults();
  void EpisodeFaults();
  void OtherFaults();
  void ExtraFiles();

  struct Expected {
    std::string file;
    int line;
    std::string field;
  };

  LaDataset* ds_;
  Rng rng_;
  std::set<std::string> used_;
  std::vector<Expected> expected_;
  std::vector<SynthFile> extra_;
  std::string fake_child_;  // an id no Header row holds
};

void Injector::HeaderFaults() {
  SynthTable* h = Table("header.csv");
  if (h == nullptr) return;
  // An impossible date: 31 April of the child's birth year.
  size_t i = PickAny(h);
  if (i != kNone) {
    std::string& dob = h->rows[i][h->Col("DOB")];
    dob = absl::StrCat("31/04/", dob.substr(6));
    Expect(*h, i, "DOB");
  }
  // A sex code of the other coding (1/2 up to 2024, M/F/U from 2025).
  i = PickAny(h);
  if (i != kNone) {
    h->rows[i][h->Col("SEX")] = ds_->year <= 2024 ? "M" : "1";
    Expect(*h, i, "SEX");
  }
  // A child listed twice.
  i = PickAny(h);
  if (i != kNone) Expect(*h, Append(h, h->rows[i]), "CHILD");
}

void Injector::EpisodeFaults() {
  SynthTable* e = Table("episodes.csv");
  if (e == nullptr) return;
  const int decom = e->Col("DECOM"), dec = e->Col("DEC"), rec = e->Col("REC"),
            place = e->Col("PLACE"), ls = e->Col("LS"), child = e->Col("CHILD");
  // A date in the wrong format (yyyy-mm-dd).
  size_t i = PickAny(e);
  if (i != kNone) {
    std::string& d = e->rows[i][decom];
    d = absl::StrCat(d.substr(6, 4), "-", d.substr(3, 2), "-", d.substr(0, 2));
    Expect(*e, i, "DECOM");
  }
  // A placement code not valid in the year.
  i = PickAny(e);
  if (i != kNone) {
    e->rows[i][place] = ds_->year <= 2024   ? "K3"
                        : ds_->year == 2025 ? "Z11"
                                            : "H5";
    Expect(*e, i, "PLACE");
  }
  // DEC the day before DECOM.
  i = PickRow(e, [&](const std::vector<std::string>& r) {
    Day a, b;
    return ParseDmy(r[decom], &a) && ParseDmy(r[dec], &b) && b > a;
  });
  if (i != kNone) {
    Day a = 0;
    ParseDmy(e->rows[i][decom], &a);  // succeeded when the row was chosen above
    e->rows[i][dec] = FormatDate(a - 1);
    Expect(*e, i, "DEC");
  }
  // REC without DEC, and DEC without REC.
  auto closed = [&](const std::vector<std::string>& r) {
    return !r[dec].empty();
  };
  i = PickRow(e, closed);
  if (i != kNone) {
    e->rows[i][dec].clear();
    Expect(*e, i, "DEC");
  }
  i = PickRow(e, closed);
  if (i != kNone) {
    e->rows[i][rec].clear();
    Expect(*e, i, "REC");
  }
  // A ragged line: one field too many.
  i = PickAny(e);
  if (i != kNone) {
    e->rows[i].push_back("X");
    Expect(*e, i, "(row)");
  }
  // A child who is not in Header.
  i = PickAny(e);
  if (i != kNone) {
    std::vector<std::string> row = e->rows[i];
    row[child] = fake_child_;
    Expect(*e, Append(e, std::move(row)), "CHILD");
  }
  // Two episodes open at 31 March with the same DECOM: a copy of an open
  // episode.
  const Day r = DayFromYmd(ds_->year, 3, 31);
  i = PickRow(e, [&](const std::vector<std::string>& row) {
    Day a;
    return row[dec].empty() && row[ls] != "V3" && row[ls] != "V4" &&
           ParseDmy(row[decom], &a) && a <= r;
  });
  if (i != kNone) Expect(*e, Append(e, e->rows[i]), "DECOM");
}

void Injector::OtherFaults() {
  if (SynthTable* u = Table("uasc.csv"); u != nullptr) {
    const size_t i = PickAny(u);
    if (i != kNone) {
      u->rows[i][u->Col("DUC")] = absl::StrCat("31/02/", ds_->year + 1);
      Expect(*u, i, "DUC");
    }
  }
  if (SynthTable* s = Table("sensitive.csv"); s != nullptr) {
    size_t i = PickAny(s);
    if (i != kNone) {
      s->rows[i][s->Col("NATIONALITY")] =
          "ENG";  // a sports code, not ISO 3166-1
      Expect(*s, i, "NATIONALITY");
    }
    i = PickAny(s);
    if (i != kNone) Expect(*s, Append(s, s->rows[i]), "CHILD");
  }
  if (SynthTable* o = Table("oc3.csv"); o != nullptr) {
    const size_t i = PickAny(o);
    if (i != kNone) Expect(*o, Append(o, o->rows[i]), "CHILD");
  }
  if (SynthTable* m = Table("missing.csv"); m != nullptr) {
    const size_t i = PickAny(m);
    if (i != kNone) {
      std::vector<std::string> row = m->rows[i];
      row[m->Col("CHILD")] = fake_child_;
      Expect(*m, Append(m, std::move(row)), "CHILD");
    }
  }
}

void Injector::ExtraFiles() {
  // A CSV that matches no table.
  extra_.push_back(
      {"notes.csv", "NOTE,AUTHOR\nchecked the March return,analyst\n"});
  expected_.push_back({"notes.csv", 1, "(header)"});
  // A second file holding OC3 ("oc3.csv" sorts first, so this one is the
  // extra).
  if (SynthTable* o = Table("oc3.csv"); o != nullptr) {
    SynthTable copy = *o;
    copy.file_name = "oc3_copy.csv";
    if (copy.rows.size() > 1) copy.rows.resize(1);
    extra_.push_back({copy.file_name, RenderTable(copy)});
    expected_.push_back({copy.file_name, 1, "(header)"});
  }
  // An SWEpisodes file without its SW_REASON column.
  extra_.push_back({"sw_episodes_old.csv", "CHILD,SW_ID,SW_DECOM,SW_DEC\n"});
  expected_.push_back({"sw_episodes_old.csv", 1, "SW_REASON"});
}

InjectedFaults Injector::Run() {
  SynthTable* h = Table("header.csv");
  // CHILD ids have ten characters; one more digit makes an id that no Header
  // row holds.
  fake_child_ = h != nullptr && !h->rows.empty()
                    ? absl::StrCat(h->rows[0][h->Col("CHILD")], "7")
                    : "C0000000007";
  used_.insert(fake_child_);
  HeaderFaults();
  EpisodeFaults();
  OtherFaults();
  ExtraFiles();
  std::sort(expected_.begin(), expected_.end(),
            [](const Expected& a, const Expected& b) {
              if (a.file != b.file) return a.file < b.file;
              return a.line < b.line;
            });
  InjectedFaults out;
  out.extra_files = std::move(extra_);
  for (const Expected& e : expected_) {
    out.expected.push_back(
        absl::StrCat(e.file, ":", e.line, ": ", e.field, ":"));
  }
  return out;
}

}  // namespace

InjectedFaults InjectErrors(LaDataset* dataset, uint64_t seed) {
  Injector injector(dataset, seed);
  return injector.Run();
}

}  // namespace ringfence::tools::synth
