// One LA's validated SSDA903 data for one collection year, as the loader (node/loader.h)
// builds it and the grid (node/grid.h) reads it.
//
// Rows are compact: dates are node::Date (8 bytes, no strings), codes are one-byte enums
// (node/codes.h), CHILD ids are interned to dense indices (ChildIndex: the child's position in
// the Header table) and postcodes to dense ids. Nothing in a row owns heap memory.
//
// Invariants after a successful LoadLaFolder (and only then): every record's `child` is a
// valid index into `children`; every code was valid for `year`; a child has at most one OC3
// and one sensitive row; DEC is blank exactly when REC is; DEC is not before DECOM; no child
// has two non-short-break episodes open at 31/03/`year` with the same DECOM; postcode_info
// has at most postcodes.size() entries and every utla id is valid in `utlas`. Code that
// builds LaData by hand (tests) must keep them.
//
// Privacy: this is row-level data about children. It lives only in the node's memory on the
// LA's own machine. Never log it, serialise it, or put any of it in a message that leaves the
// node; only the protected grid leaves (node/protect.h). The loader's error messages quote
// offending values on purpose, for the LA's analyst, on the node's own stderr.
//
// Thread-compatible: immutable after loading, so concurrent readers are fine. Move-only
// (StringPool hands out views into its own storage).
#ifndef RINGFENCE_NODE_LA_DATA_H_
#define RINGFENCE_NODE_LA_DATA_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"
#include "node/codes.h"
#include "node/dates.h"
#include "node/ssda903_schema.h"

namespace ringfence::node {

// The allocator of StringPool's index. Blocks of kHugeBytes or more are 2 MiB-aligned and, on
// Linux, marked for transparent huge pages (madvise MADV_HUGEPAGE; where THP is off this does
// nothing). A national folder's index is tens of megabytes probed at random, and with 4 KiB
// pages nearly every probe also misses the TLB: huge pages took 10-20 % off the CPU time of
// the 10x benchmark (docs/benchmarks.md) and changed nothing measurable at 1x.
// Smaller blocks use operator new. Stateless; all instances are equal.
template <typename T>
class IndexAllocator {
 public:
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;
  static constexpr size_t kHugeBytes = size_t{4} << 20;

  IndexAllocator() = default;
  template <typename U>
  IndexAllocator(const IndexAllocator<U>&) noexcept {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugeBytes) return static_cast<T*>(::operator new(bytes));
    const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* p = std::aligned_alloc(kHugePage, rounded);
    if (p == nullptr) throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: ignored where THP is unavailable
#endif
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) noexcept {
    if (n * sizeof(T) < kHugeBytes) {
      ::operator delete(p);
    } else {
      std::free(p);
    }
  }

  template <typename U>
  bool operator==(const IndexAllocator<U>&) const noexcept {
    return true;
  }
  template <typename U>
  bool operator!=(const IndexAllocator<U>&) const noexcept {
    return false;
  }
};

// Interns strings to dense ids 0, 1, 2, ... in first-seen order. Views returned by Get() stay
// valid for the pool's lifetime, including across moves. Not copyable.
//
// Performance: a national folder interns millions of CHILD ids and postcodes, so the index
// outgrows the CPU caches and every lookup costs memory misses. Strings of at most
// kInlineKeyBytes bytes (every CHILD id of the 903 specification, every postcode) are keyed
// inline in the index's 16-byte slots, so a probe compares the slot itself instead of following
// a pointer to the pool's copy; longer strings use a second, string-keyed index. Prefetch()
// lets a caller that knows its next keys start those misses early.
class StringPool {
 public:
  // The longest string keyed inline (the rest of a 16-byte slot holds its length and id).
  static constexpr size_t kInlineKeyBytes = 11;

  StringPool() = default;
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;
  StringPool(StringPool&& o) noexcept { *this = std::move(o); }
  StringPool& operator=(StringPool&& o) noexcept {
    if (this == &o) return *this;
    chunks_ = std::move(o.chunks_);
    current_ = o.current_;
    used_ = o.used_;
    strings_ = std::move(o.strings_);
    short_index_ = std::move(o.short_index_);
    long_index_ = std::move(o.long_index_);
    o.chunks_.clear();  // leave `o` empty and usable
    o.current_ = nullptr;
    o.used_ = 0;
    o.strings_.clear();
    o.short_index_.clear();
    o.long_index_.clear();
    return *this;
  }

  // The id of `s`, adding it if new. `*added` (optional) says whether it was new.
  int32_t Intern(absl::string_view s, bool* added = nullptr) {
    const int32_t next = size();
    bool is_new = false;
    int32_t id;
    ShortKey key;
    if (MakeShortKey(s, &key)) {
      // One probe finds the key or the slot for it (find then emplace would probe twice).
      id = short_index_
               .lazy_emplace(key,
                             [&](const auto& construct) {
                               is_new = true;
                               construct(Slot{key.lo, key.hi, next});
                             })
               ->id;
      if (is_new) strings_.push_back(Store(s));
    } else {
      auto it = long_index_.find(s);
      if (it != long_index_.end()) {
        id = it->second;
      } else {
        is_new = true;
        id = next;
        const absl::string_view stored = Store(s);
        strings_.push_back(stored);
        long_index_.emplace(stored, id);
      }
    }
    if (added != nullptr) *added = is_new;
    return id;
  }

  // The id of `s`, or -1.
  int32_t Find(absl::string_view s) const {
    ShortKey key;
    if (MakeShortKey(s, &key)) {
      auto it = short_index_.find(key);
      return it == short_index_.end() ? -1 : it->id;
    }
    auto it = long_index_.find(s);
    return it == long_index_.end() ? -1 : it->second;
  }

  // A hint that `s` is looked up or interned soon: starts loading the index memory it needs.
  // No effect on results.
  void Prefetch(absl::string_view s) const {
    ShortKey key;
    if (MakeShortKey(s, &key)) short_index_.prefetch(key);
  }

  absl::string_view Get(int32_t id) const { return strings_[id]; }
  int32_t size() const { return static_cast<int32_t>(strings_.size()); }

  // Makes room for `n` strings in all, so interning that many does not rehash.
  void Reserve(size_t n) {
    strings_.reserve(n);
    short_index_.reserve(n);
  }

 private:
  static constexpr size_t kChunk = 64 * 1024;

  // A string of at most kInlineKeyBytes bytes as 12 bytes: its bytes, zero-padded, then its
  // length (so strings that differ only in trailing NULs stay distinct).
  struct ShortKey {
    uint64_t lo = 0;
    uint32_t hi = 0;
  };
  // An index entry: the key and the id, 16 bytes.
  struct Slot {
    uint64_t lo;
    uint32_t hi;
    int32_t id;
  };
  struct SlotHash {
    using is_transparent = void;
    size_t operator()(const ShortKey& k) const { return absl::HashOf(k.lo, k.hi); }
    size_t operator()(const Slot& s) const { return absl::HashOf(s.lo, s.hi); }
  };
  struct SlotEq {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.lo == b.lo && a.hi == b.hi;
    }
  };

  static bool MakeShortKey(absl::string_view s, ShortKey* key) {
    if (s.size() > kInlineKeyBytes) return false;
    char bytes[12] = {};
    if (!s.empty()) std::memcpy(bytes, s.data(), s.size());
    bytes[11] = static_cast<char>(s.size());
    std::memcpy(&key->lo, bytes, 8);
    std::memcpy(&key->hi, bytes + 8, 4);
    return true;
  }

  // Copies `s` into chunked storage that never moves.
  absl::string_view Store(absl::string_view s) {
    if (s.empty()) return absl::string_view();
    if (s.size() > kChunk / 4) {  // a big one gets a chunk of its own; current_ is kept
      chunks_.emplace_back(new char[s.size()]);
      std::memcpy(chunks_.back().get(), s.data(), s.size());
      return absl::string_view(chunks_.back().get(), s.size());
    }
    if (current_ == nullptr || used_ + s.size() > kChunk) {
      chunks_.emplace_back(new char[kChunk]);
      current_ = chunks_.back().get();
      used_ = 0;
    }
    char* dst = current_ + used_;
    std::memcpy(dst, s.data(), s.size());
    used_ += s.size();
    return absl::string_view(dst, s.size());
  }

  std::vector<std::unique_ptr<char[]>> chunks_;
  char* current_ = nullptr;  // the chunk small strings are appended to
  size_t used_ = 0;
  std::vector<absl::string_view> strings_;
  absl::flat_hash_set<Slot, SlotHash, SlotEq, IndexAllocator<Slot>> short_index_;
  absl::flat_hash_map<absl::string_view, int32_t> long_index_;
};

// Index of a child in LaData::children (= its row order in Header).
using ChildIndex = int32_t;
// Index of a postcode in LaData::postcodes; kNoPostcode when blank.
using PostcodeId = int32_t;
inline constexpr PostcodeId kNoPostcode = -1;

// One Header row.
struct ChildRecord {
  Date dob;
  Sex sex = Sex::kUnknown;
  Ethnicity ethnicity = Ethnicity::kNOBT;
  int32_t line = 0;  // physical line in the Header file
};

// One Episodes row.
struct EpisodeRecord {
  ChildIndex child = 0;
  Date decom;
  Date dec;  // Date::Blank() when the episode has not ended (then rec is nullopt)
  std::optional<ReasonCeased> rec;
  ReasonNewEpisode rne = ReasonNewEpisode::kS;
  LegalStatus ls = LegalStatus::kC2;
  CategoryOfNeed cin = CategoryOfNeed::kN1;
  Placement place = Placement::kU1;
  PostcodeId home_post = kNoPostcode;  // upper-cased, spaces removed, interned
  PostcodeId pl_post = kNoPostcode;
  int32_t line = 0;  // physical line in the Episodes file

  // Spec "Dates and the year": short breaks (LS V3, V4) are ignored everywhere.
  bool is_short_break() const { return ls == LegalStatus::kV3 || ls == LegalStatus::kV4; }
  // Spec: open at d if DECOM <= d and (DEC blank or DEC > d). A blank DEC is after every date.
  bool OpenAt(Date d) const { return decom <= d && dec > d; }
};

// One UASC row.
struct UascRecord {
  ChildIndex child = 0;
  Sex sex = Sex::kUnknown;
  Date dob;
  Date duc;                 // blank when DUC is blank or masked
  bool duc_masked = false;  // DUC was masked with Z (e.g. ZZ/ZZ/ZZZZ)
  int32_t line = 0;
};

// One sensitive.csv row.
struct SensitiveRecord {
  ChildIndex child = 0;
  NationalityGroup nationality = NationalityGroup::kUnknown;
  ImmigrationStatus immigration_status = ImmigrationStatus::kUnknown;
  Nrpf nrpf = Nrpf::kUnknown;
  int32_t line = 0;
};

// One OC3 row (care leavers). DOB is taken from Header (spec "Clarifications"), so the OC3
// DOB is validated as a date but not kept.
struct Oc3Record {
  ChildIndex child = 0;
  InTouch in_touch = InTouch::kBlank;
  Activity activ = Activity::kBlank;
  Accommodation accom = Accommodation::kBlank;
  int32_t line = 0;
};

// One Missing row.
struct MissingRecord {
  ChildIndex child = 0;
  MissingKind kind = MissingKind::kMissing;
  Date start;  // MIS_START
  Date end;    // MIS_END; Date::Blank() when blank (still missing)
  int32_t line = 0;
};

// What the postcode table says about one of the data's postcodes (LaData::postcodes).
struct PostcodeInfo {
  bool in_table = false;    // the postcode has a row in the table
  bool has_coords = false;  // ... with both coordinates (then east/north are set)
  int32_t east = 0;         // oseast1m, whole metres
  int32_t north = 0;        // osnrth1m, whole metres
  int32_t utla = -1;        // id in LaData::utlas; -1 when blank or not in the table
  int32_t line = 0;         // line of the postcode's row in the table (for messages)
};

// Where a table came from.
struct TableSource {
  std::string file;  // base name, e.g. "episodes_2025.csv"; empty when the table is absent
  int64_t rows = 0;  // data rows (entirely blank rows are not counted)
};

inline constexpr int kTableCount = static_cast<int>(Table::kPostcodes) + 1;

struct LaData {
  std::string la_code;  // as given in LoadOptions
  int year = 0;         // the collection year whose code lists validated the data

  StringPool child_ids;                 // CHILD -> ChildIndex; id i is children[i]
  std::vector<ChildRecord> children;    // Header, in file order
  std::vector<EpisodeRecord> episodes;  // Episodes, in file order
  std::vector<UascRecord> uasc;
  std::vector<SensitiveRecord> sensitive;
  std::vector<Oc3Record> oc3;
  std::vector<MissingRecord> missing;
  StringPool postcodes;  // HOME_POST and PL_POST, normalised
  // Indexed by PostcodeId. Only the data's own postcodes are kept from the postcode table (a
  // national table has millions of rows). Empty or shorter than postcodes.size() when there is
  // no postcode table: a missing entry means "not in the table".
  std::vector<PostcodeInfo> postcode_info;
  StringPool utlas;  // the utla codes of postcode_info, upper-cased and trimmed

  // Indexed by static_cast<int>(Table).
  TableSource tables[kTableCount];

  const TableSource& source(Table t) const { return tables[static_cast<int>(t)]; }
};

}  // namespace ringfence::node

#endif  // RINGFENCE_NODE_LA_DATA_H_
