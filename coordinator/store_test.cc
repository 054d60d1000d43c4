#include "coordinator/store.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "crypto/hash.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::coordinator {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'750'000'000);
const absl::Time kDeadline = kT0 + absl::Hours(24);
constexpr char kAnnual2025[] = "2025-annual";

// A collection of `year`'s `window` expecting `las`, opened at kT0 with kDeadline.
CollectionRecord Collection(int year, const std::vector<std::string>& las,
                            absl::string_view window = "annual") {
  absl::StatusOr<ParsedCollectionId> parsed = ParseCollectionId(CollectionId(year, window));
  EXPECT_THAT(parsed, IsOk());
  CollectionRecord c;
  c.collection_id = CollectionId(year, window);
  c.year = year;
  c.period = parsed->window.period;
  c.period_start = parsed->window.start;
  c.period_end = parsed->window.end;
  c.deadline = kDeadline;
  c.expected_la_codes = las;
  std::sort(c.expected_la_codes.begin(), c.expected_la_codes.end());
  c.opened_at = kT0;
  c.opened_by = "urn:ringfence:operator:olive";
  return c;
}

// The LAs the tests submit for.
const std::vector<std::string> kLas = {"E09000033", "E08000037", "E09000001", "E09000002",
                                       "E09000003", "E09000004", "E09000005", "E09000006",
                                       "E09000007", "E09000008"};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_store_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/coordinator.db";
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
    ::rmdir(dir_.c_str());
  }

  // Opens the store and, unless `open_collections` is false, the 2024 and 2025
  // annual collections expecting kLas.
  std::unique_ptr<SubmissionStore> OpenOrDie(const StoreOptions& options = {},
                                             bool open_collections = true) {
    absl::StatusOr<std::unique_ptr<SubmissionStore>> store = SubmissionStore::Open(path_, options);
    EXPECT_THAT(store, IsOk());
    if (!store.ok()) return nullptr;
    if (open_collections) {
      for (int year : {2024, 2025}) {
        EXPECT_THAT((*store)->OpenCollection(Collection(year, kLas)), IsOk());
      }
    }
    return std::move(*store);
  }

  // Runs SQL on the file through a separate raw connection.
  std::string RawQuery(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string out;
    auto cb = [](void* p, int n, char** values, char**) {
      if (n > 0 && values[0] != nullptr) *static_cast<std::string*>(p) = values[0];
      return 0;
    };
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), cb, &out, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return out;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(StoreTest, CreatesAVersionedSchemaInWalMode) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->path(), path_);
  EXPECT_EQ(RawQuery("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQuery("PRAGMA user_version"), absl::StrCat(kStoreSchemaVersion));
  EXPECT_EQ(RawQuery("SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_schema WHERE "
                     "type='table' ORDER BY name)"),
            "collections expected_las node_states refusals submissions");
}

TEST_F(StoreTest, StoresAndLoadsASubmission) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const std::string bytes("grid\0bytes", 10);
  absl::StatusOr<InsertResult> r = store->Insert(kAnnual2025, "E09000033", 2025, 1, bytes, kT0);
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->already_stored);
  EXPECT_EQ(r->receipt, crypto::Sha256Hex(bytes));
  EXPECT_EQ(r->receipt.size(), 64u);

  absl::StatusOr<std::vector<StoredSubmission>> rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  const StoredSubmission& s = (*rows)[0];
  EXPECT_EQ(s.la_code, "E09000033");
  EXPECT_EQ(s.year, 2025);
  EXPECT_EQ(s.catalogue_version, 1u);
  EXPECT_EQ(s.receipt, r->receipt);
  EXPECT_EQ(s.request_bytes, bytes);
  EXPECT_EQ(s.received_at, kT0);
  EXPECT_EQ(RawQuery("SELECT received_at FROM submissions"), "2025-06-15T15:06:40+00:00");
}

TEST_F(StoreTest, IdenticalResendIsAlreadyStoredAndKeepsTheFirstArrival) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", kT0), IsOk());
  absl::StatusOr<InsertResult> again =
      store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", kT0 + absl::Hours(1));
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_stored);
  EXPECT_EQ(again->receipt, crypto::Sha256Hex("grid"));
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].received_at, kT0);
}

TEST_F(StoreTest, DifferentGridForTheSameLaAndYearIsAlreadyExists) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid one", kT0), IsOk());
  EXPECT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid two", kT0),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("E09000033 already submitted a different grid to 2025-annual; a "
                                 "round is released once")));
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].request_bytes, "grid one");
}

TEST_F(StoreTest, KeysAreCollectionAndLa) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "a", kT0), IsOk());
  ASSERT_THAT(store->Insert("2024-annual", "E09000033", 2024, 1, "b", kT0), IsOk());
  ASSERT_THAT(store->Insert(kAnnual2025, "E08000037", 2025, 1, "c", kT0), IsOk());
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].la_code, "E08000037");  // ordered by LA code
  EXPECT_EQ((*rows)[1].la_code, "E09000033");
  auto none = store->LoadYear(2026);
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
}

TEST_F(StoreTest, SubmissionsSurviveReopening) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", kT0), IsOk());
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].request_bytes, "grid");
  absl::StatusOr<InsertResult> again = store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", kT0);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->already_stored);
}

TEST_F(StoreTest, AFileThatIsNotADatabaseIsAClearError) {
  { std::ofstream(path_) << "this is not an SQLite database, just some text long enough\n"; }
  EXPECT_THAT(
      SubmissionStore::Open(path_),
      StatusIs(absl::StatusCode::kInternal, AllOf(HasSubstr(path_), HasSubstr("not a database"))));
}

TEST_F(StoreTest, AMissingFolderIsUnavailableNamingTheFile) {
  const std::string missing = dir_ + "/no/such/dir/coordinator.db";
  EXPECT_THAT(SubmissionStore::Open(missing),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(missing)));
}

TEST_F(StoreTest, ANewerSchemaVersionIsRefused) {
  { auto store = OpenOrDie(); }
  RawQuery("PRAGMA user_version=99");
  EXPECT_THAT(SubmissionStore::Open(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path_), HasSubstr("schema version 99"))));
}

TEST_F(StoreTest, AForeignSqliteFileIsNotModified) {
  RawQuery("CREATE TABLE other (x INTEGER)");
  EXPECT_THAT(SubmissionStore::Open(path_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("refusing to modify")));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM sqlite_schema WHERE name='submissions'"), "0");
}

TEST_F(StoreTest, AVersionedFileWithoutTheTableIsCorrupt) {
  { auto store = OpenOrDie(); }
  RawQuery("DROP TABLE submissions");
  EXPECT_THAT(SubmissionStore::Open(path_),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no submissions table")));
}

TEST_F(StoreTest, AFullDatabaseIsUnavailableAndLeavesNoPartialRow) {
  StoreOptions options;
  options.max_page_count = 16;  // 64 KiB with the default 4 KiB page
  auto store = OpenOrDie(options);
  ASSERT_NE(store, nullptr);
  const std::string big(200 * 1024, 'x');
  EXPECT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, big, kT0),
              StatusIs(absl::StatusCode::kUnavailable, AllOf(HasSubstr(path_), HasSubstr("full"))));
  // The store is still usable and the failed insert left nothing behind.
  EXPECT_THAT(store->Insert(kAnnual2025, "E08000037", 2025, 1, "small", kT0), IsOk());
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].la_code, "E08000037");
}

TEST_F(StoreTest, ATamperedRowIsReportedNotUsed) {
  {
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", kT0), IsOk());
  }
  RawQuery("UPDATE submissions SET request = X'00112233'");
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->LoadYear(2025),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr(path_), HasSubstr("does not match its receipt"))));
}

TEST_F(StoreTest, ConcurrentIdenticalSubmissionsStoreExactlyOnce) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  std::atomic<int> fresh{0}, resent{0}, failed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", kT0);
      if (!r.ok()) {
        ++failed;
      } else if (r->already_stored) {
        ++resent;
      } else {
        ++fresh;
      }
      // Distinct LAs in parallel as well.
      if (!store->Insert(kAnnual2025, absl::StrCat("E0900000", i + 1), 2025, 1, "x", kT0).ok()) ++failed;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(fresh.load(), 1);
  EXPECT_EQ(resent.load(), 7);
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->size(), 9u);
}

TEST_F(StoreTest, OpenCollectionIsIdempotentAndRefusesDifferentParameters) {
  auto store = OpenOrDie({}, false);
  ASSERT_NE(store, nullptr);
  CollectionRecord q3 = Collection(2025, {"E09000033", "E08000037"}, "q3");
  absl::StatusOr<CollectionRecord> opened = store->OpenCollection(q3);
  ASSERT_THAT(opened, IsOk());
  EXPECT_EQ(opened->collection_id, "2025-q3");
  EXPECT_EQ(opened->state, CollectionState::kOpen);
  EXPECT_EQ(opened->period, CollectionPeriod::kQuarterly);
  EXPECT_EQ(IsoDate(opened->period_start), "2024-10-01");
  EXPECT_EQ(IsoDate(opened->period_end), "2024-12-31");
  EXPECT_EQ(opened->deadline, kDeadline);
  EXPECT_THAT(opened->expected_la_codes, ElementsAre("E08000037", "E09000033"));
  EXPECT_EQ(opened->opened_by, "urn:ringfence:operator:olive");
  EXPECT_EQ(opened->opened_at, kT0);

  // The same parameters from another operator later: unchanged.
  CollectionRecord again = q3;
  again.opened_by = "urn:ringfence:operator:other";
  again.opened_at = kT0 + absl::Hours(1);
  absl::StatusOr<CollectionRecord> same = store->OpenCollection(again);
  ASSERT_THAT(same, IsOk());
  EXPECT_EQ(same->opened_by, "urn:ringfence:operator:olive");
  EXPECT_EQ(same->opened_at, kT0);

  CollectionRecord other_deadline = q3;
  other_deadline.deadline = kDeadline + absl::Hours(1);
  EXPECT_THAT(store->OpenCollection(other_deadline),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       AllOf(HasSubstr("collection 2025-q3 already exists"),
                             HasSubstr("different deadline"))));
  CollectionRecord other_las = q3;
  other_las.expected_la_codes = {"E09000033"};
  EXPECT_THAT(store->OpenCollection(other_las),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("expected LAs")));
  absl::StatusOr<CollectionRecord> stored = store->GetCollection("2025-q3");
  ASSERT_THAT(stored, IsOk());
  EXPECT_EQ(stored->expected_la_codes.size(), 2u);
  EXPECT_THAT(store->GetCollection("2025-q4"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no collection 2025-q4")));
}

TEST_F(StoreTest, CloseIsFinalAndIdempotent) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", kT0), IsOk());
  const absl::Time closed_at = kT0 + absl::Hours(48);
  absl::StatusOr<CollectionRecord> closed =
      store->CloseCollection(kAnnual2025, "urn:ringfence:operator:olive", closed_at);
  ASSERT_THAT(closed, IsOk());
  EXPECT_EQ(closed->state, CollectionState::kClosed);
  EXPECT_EQ(closed->closed_at, closed_at);
  EXPECT_EQ(closed->closed_by, "urn:ringfence:operator:olive");
  // Closing again changes nothing.
  absl::StatusOr<CollectionRecord> again =
      store->CloseCollection(kAnnual2025, "urn:ringfence:operator:other", closed_at + absl::Hours(1));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->closed_at, closed_at);
  EXPECT_EQ(again->closed_by, "urn:ringfence:operator:olive");
  EXPECT_THAT(store->CloseCollection("2025-q1", "x", closed_at),
              StatusIs(absl::StatusCode::kNotFound));

  // A new submission is refused and not stored; the identical resend of a
  // stored one is still answered (its acknowledgement may have been lost).
  EXPECT_THAT(store->Insert(kAnnual2025, "E08000037", 2025, 1, "late grid", closed_at),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr("collection 2025-annual was closed at "
                                       "2025-06-17T15:06:40Z"),
                             HasSubstr("its submissions are final; this one was not stored"))));
  EXPECT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "other grid", closed_at),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<InsertResult> resend =
      store->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", closed_at);
  ASSERT_THAT(resend, IsOk());
  EXPECT_TRUE(resend->already_stored);
  auto rows = store->LoadCollection(kAnnual2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].la_code, "E09000033");
}

TEST_F(StoreTest, InsertChecksTheCollection) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->Insert("2025-q1", "E09000033", 2025, 1, "grid", kT0),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("no collection 2025-q1")));
  EXPECT_THAT(store->Insert(kAnnual2025, "E09000033", 2024, 1, "grid", kT0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("collection 2025-annual is for year 2025, not 2024")));
  EXPECT_THAT(store->Insert(kAnnual2025, "E06000001", 2025, 1, "grid", kT0),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       HasSubstr("collection 2025-annual does not expect LA E06000001")));
  auto rows = store->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  EXPECT_TRUE(rows->empty());
}

TEST_F(StoreTest, ASubmissionAfterTheDeadlineIsStoredAndMarkedLate) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<InsertResult> on_time =
      store->Insert(kAnnual2025, "E09000033", 2025, 1, "a", kDeadline);
  ASSERT_THAT(on_time, IsOk());
  EXPECT_FALSE(on_time->late);
  absl::StatusOr<InsertResult> late =
      store->Insert(kAnnual2025, "E08000037", 2025, 1, "b", kDeadline + absl::Seconds(1));
  ASSERT_THAT(late, IsOk());
  EXPECT_TRUE(late->late);
  absl::StatusOr<InsertResult> resend =
      store->Insert(kAnnual2025, "E08000037", 2025, 1, "b", kDeadline + absl::Hours(1));
  ASSERT_THAT(resend, IsOk());
  EXPECT_TRUE(resend->already_stored);
  EXPECT_TRUE(resend->late);
  auto rows = store->LoadCollection(kAnnual2025);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].la_code, "E08000037");
  EXPECT_TRUE((*rows)[0].late);
  EXPECT_FALSE((*rows)[1].late);
  EXPECT_EQ((*rows)[1].collection_id, kAnnual2025);
}

TEST_F(StoreTest, CollectionsOfOneYearAreSeparate) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_THAT(store->OpenCollection(Collection(2025, kLas, "q1")), IsOk());
  ASSERT_THAT(store->Insert(kAnnual2025, "E09000033", 2025, 1, "annual", kT0), IsOk());
  absl::StatusOr<InsertResult> q1 = store->Insert("2025-q1", "E09000033", 2025, 1, "q1", kT0);
  ASSERT_THAT(q1, IsOk());
  EXPECT_FALSE(q1->already_stored);
  auto annual = store->LoadCollection(kAnnual2025);
  ASSERT_THAT(annual, IsOk());
  ASSERT_EQ(annual->size(), 1u);
  EXPECT_EQ((*annual)[0].request_bytes, "annual");
  auto quarter = store->LoadCollection("2025-q1");
  ASSERT_THAT(quarter, IsOk());
  ASSERT_EQ(quarter->size(), 1u);
  EXPECT_EQ((*quarter)[0].request_bytes, "q1");
  auto year = store->LoadYear(2025);
  ASSERT_THAT(year, IsOk());
  EXPECT_EQ(year->size(), 2u);
}

TEST_F(StoreTest, ListsCollectionsByYearThenWindow) {
  auto store = OpenOrDie({}, false);
  ASSERT_NE(store, nullptr);
  for (const auto& [year, window] : std::vector<std::pair<int, std::string>>{
           {2025, "q3"}, {2024, "annual"}, {2025, "annual"}, {2025, "h2"}, {2025, "q1"}}) {
    ASSERT_THAT(store->OpenCollection(Collection(year, kLas, window)), IsOk());
  }
  absl::StatusOr<std::vector<CollectionRecord>> all = store->ListCollections();
  ASSERT_THAT(all, IsOk());
  std::vector<std::string> ids;
  for (const CollectionRecord& c : *all) ids.push_back(c.collection_id);
  EXPECT_THAT(ids, ElementsAre("2024-annual", "2025-annual", "2025-h2", "2025-q1", "2025-q3"));
}

TEST_F(StoreTest, RefusalsAndNodeStatesAreRecordedForExpectedLasOnly) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<bool> recorded = store->RecordRefusal(
      kAnnual2025, "E09000033", "FAILED_PRECONDITION", "policy digest differs", kT0);
  ASSERT_THAT(recorded, IsOk());
  EXPECT_TRUE(*recorded);
  // The latest refusal replaces the earlier one.
  recorded = store->RecordRefusal(kAnnual2025, "E09000033", "INVALID_ARGUMENT",
                                  "grid does not match", kT0 + absl::Hours(1));
  ASSERT_THAT(recorded, IsOk());
  EXPECT_TRUE(*recorded);
  recorded = store->RecordRefusal(kAnnual2025, "E06000001", "INVALID_ARGUMENT", "x", kT0);
  ASSERT_THAT(recorded, IsOk());
  EXPECT_FALSE(*recorded);
  recorded = store->RecordRefusal("2025-q2", "E09000033", "INVALID_ARGUMENT", "x", kT0);
  ASSERT_THAT(recorded, IsOk());
  EXPECT_FALSE(*recorded);
  EXPECT_EQ(RawQuery("SELECT count(*) FROM refusals"), "1");

  EXPECT_THAT(store->RecordNodeState(kAnnual2025, "E08000037", 3, kT0), IsOk());
  EXPECT_THAT(store->RecordNodeState(kAnnual2025, "E08000037", 7, kT0 + absl::Hours(2)), IsOk());
  EXPECT_THAT(store->RecordNodeState(kAnnual2025, "E06000001", 3, kT0),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(store->RecordNodeState("2025-q2", "E08000037", 3, kT0),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->RecordNodeState(kAnnual2025, "E08000037", 0, kT0),
              StatusIs(absl::StatusCode::kInvalidArgument));

  ASSERT_THAT(store->Insert(kAnnual2025, "E09000001", 2025, 1, "grid", kT0 + absl::Hours(30)),
              IsOk());
  absl::StatusOr<CollectionProgressReport> report = store->CollectionProgress(kAnnual2025);
  ASSERT_THAT(report, IsOk());
  EXPECT_EQ(report->collection.collection_id, kAnnual2025);
  ASSERT_EQ(report->las.size(), kLas.size());
  std::map<std::string, LaProgress> by_la;
  for (const LaProgress& p : report->las) by_la[p.la_code] = p;
  EXPECT_EQ(report->las.front().la_code, "E08000037");  // by LA code
  const LaProgress& refused = by_la["E09000033"];
  EXPECT_FALSE(refused.submitted);
  EXPECT_TRUE(refused.refused);
  EXPECT_EQ(refused.refusal_code, "INVALID_ARGUMENT");
  EXPECT_EQ(refused.refusal_reason, "grid does not match");
  EXPECT_EQ(refused.refused_at, kT0 + absl::Hours(1));
  EXPECT_EQ(refused.node_state, 0);
  const LaProgress& reported = by_la["E08000037"];
  EXPECT_EQ(reported.node_state, 7);
  EXPECT_EQ(reported.node_state_at, kT0 + absl::Hours(2));
  EXPECT_FALSE(reported.submitted);
  const LaProgress& submitted = by_la["E09000001"];
  EXPECT_TRUE(submitted.submitted);
  EXPECT_TRUE(submitted.late);
  EXPECT_EQ(submitted.submitted_at, kT0 + absl::Hours(30));
  EXPECT_EQ(submitted.receipt, crypto::Sha256Hex("grid"));
  EXPECT_THAT(store->CollectionProgress("2025-q2"), StatusIs(absl::StatusCode::kNotFound));
}

// The v1 schema, verbatim from the build that wrote it.
constexpr char kV1Schema[] = R"sql(
CREATE TABLE submissions (
  la_code           TEXT    NOT NULL,
  year              INTEGER NOT NULL,
  catalogue_version INTEGER NOT NULL,
  receipt           TEXT    NOT NULL CHECK (length(receipt) = 64),
  request           BLOB    NOT NULL,
  received_at       TEXT    NOT NULL,
  PRIMARY KEY (la_code, year)
) STRICT, WITHOUT ROWID;
PRAGMA user_version=1;
)sql";

TEST_F(StoreTest, MigratesAVersion1FileToClosedAnnualCollections) {
  RawQuery("PRAGMA journal_mode=WAL");
  RawQuery(kV1Schema);
  auto insert_v1 = [&](const std::string& la, int year, const std::string& bytes) {
    RawQuery(absl::StrCat("INSERT INTO submissions VALUES ('", la, "', ", year, ", 1, '",
                          crypto::Sha256Hex(bytes), "', CAST('", bytes,
                          "' AS BLOB), '2025-06-15T15:06:40+00:00')"));
  };
  insert_v1("E09000033", 2025, "grid a");
  insert_v1("E08000037", 2025, "grid b");
  insert_v1("E09000033", 2024, "grid c");
  ASSERT_EQ(RawQuery("PRAGMA user_version"), "1");

  StoreOptions options;
  options.now = kT0 + absl::Hours(100);
  auto store = OpenOrDie(options, false);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RawQuery("PRAGMA user_version"), "2");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM sqlite_schema WHERE name='submissions_v1'"), "0");

  absl::StatusOr<std::vector<CollectionRecord>> all = store->ListCollections();
  ASSERT_THAT(all, IsOk());
  ASSERT_EQ(all->size(), 2u);
  const CollectionRecord& c2024 = (*all)[0];
  const CollectionRecord& c2025 = (*all)[1];
  EXPECT_EQ(c2024.collection_id, "2024-annual");
  EXPECT_THAT(c2024.expected_la_codes, ElementsAre("E09000033"));
  EXPECT_EQ(c2025.collection_id, "2025-annual");
  EXPECT_EQ(c2025.year, 2025);
  EXPECT_EQ(c2025.period, CollectionPeriod::kAnnual);
  EXPECT_EQ(IsoDate(c2025.period_start), "2024-04-01");
  EXPECT_EQ(IsoDate(c2025.period_end), "2025-03-31");
  EXPECT_THAT(c2025.expected_la_codes, ElementsAre("E08000037", "E09000033"));
  EXPECT_EQ(c2025.state, CollectionState::kClosed);
  EXPECT_EQ(c2025.opened_by, kMigrationActor);
  EXPECT_EQ(c2025.closed_by, kMigrationActor);
  EXPECT_EQ(c2025.closed_at, options.now);

  auto rows = store->LoadCollection("2025-annual");
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].la_code, "E08000037");
  EXPECT_EQ((*rows)[0].request_bytes, "grid b");
  EXPECT_FALSE((*rows)[0].late);
  EXPECT_EQ((*rows)[1].received_at, kT0);
  // Final: nothing more is accepted, and an identical resend is still answered.
  EXPECT_THAT(store->Insert("2025-annual", "E09000033", 2025, 1, "new grid", options.now),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<InsertResult> resend =
      store->Insert("2025-annual", "E09000033", 2025, 1, "grid a", options.now);
  ASSERT_THAT(resend, IsOk());
  EXPECT_TRUE(resend->already_stored);

  // Reopening a migrated file changes nothing.
  store.reset();
  store = OpenOrDie({}, false);
  ASSERT_NE(store, nullptr);
  auto again = store->LoadYear(2024);
  ASSERT_THAT(again, IsOk());
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ((*again)[0].collection_id, "2024-annual");
}

TEST_F(StoreTest, AFailedMigrationLeavesTheVersion1FileAsItWas) {
  RawQuery("PRAGMA journal_mode=WAL");
  RawQuery(kV1Schema);
  // A stray table with a name the migration needs makes it fail half-way through.
  RawQuery("CREATE TABLE collections (x INTEGER)");
  RawQuery(absl::StrCat("INSERT INTO submissions VALUES ('E09000033', 2025, 1, '",
                        crypto::Sha256Hex("g"), "', CAST('g' AS BLOB), "
                        "'2025-06-15T15:06:40+00:00')"));
  EXPECT_THAT(SubmissionStore::Open(path_),
              StatusIs(absl::StatusCode::kInternal,
                       AllOf(HasSubstr(path_), HasSubstr("cannot create schema version 2"))));
  EXPECT_EQ(RawQuery("PRAGMA user_version"), "1");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM submissions"), "1");
  EXPECT_EQ(RawQuery("SELECT count(*) FROM sqlite_schema WHERE name='submissions_v1'"), "0");
}

// A node submitting while the operator closes, through two connections to the
// file (as two processes would): every acknowledged insert is in the
// collection, every refused one is not, and nothing is acknowledged after the
// close took effect. The close waits for a few acknowledgements first (more
// each round), so the rounds close at different points of the stream.
TEST_F(StoreTest, ConcurrentInsertsAndCloseLoseNothingAcknowledged) {
  constexpr int kRounds = 20;
  int mixed_rounds = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string id = CollectionId(2025, round % 2 == 0 ? "q1" : "q2");
    std::vector<std::string> las;
    for (int i = 1; i <= 60; ++i) las.push_back(absl::StrFormat("E0%07d", i));
    CollectionRecord c = Collection(2025, las, id.substr(5));
    c.collection_id = id;
    // A fresh file per round.
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
    auto store = OpenOrDie({}, false);
    ASSERT_NE(store, nullptr);
    ASSERT_THAT(store->OpenCollection(c), IsOk());
    auto closer_store = OpenOrDie({}, false);
    ASSERT_NE(closer_store, nullptr);

    std::atomic<bool> go{false};
    std::atomic<int> acknowledged_count{0};
    std::vector<std::string> acknowledged, refused;
    std::thread submitter([&] {
      while (!go.load()) {
      }
      for (const std::string& la : las) {
        absl::StatusOr<InsertResult> r = store->Insert(id, la, 2025, 1, "grid " + la, kT0);
        if (r.ok()) {
          acknowledged.push_back(la);
          ++acknowledged_count;
        } else {
          EXPECT_THAT(r, StatusIs(absl::StatusCode::kFailedPrecondition));
          refused.push_back(la);
        }
      }
    });
    std::thread closer([&] {
      while (!go.load()) {
      }
      while (acknowledged_count.load() < round) std::this_thread::yield();
      EXPECT_THAT(closer_store->CloseCollection(id, "op", kT0), IsOk());
    });
    go = true;
    submitter.join();
    closer.join();
    auto rows = store->LoadCollection(id);
    ASSERT_THAT(rows, IsOk());
    std::vector<std::string> stored;
    for (const StoredSubmission& s : *rows) stored.push_back(s.la_code);
    EXPECT_EQ(stored, acknowledged) << "round " << round;
    EXPECT_EQ(acknowledged.size() + refused.size(), las.size());
    // Refusals only come after the close, so they form a suffix.
    if (!refused.empty() && !acknowledged.empty()) {
      EXPECT_LT(acknowledged.back(), refused.front());
      ++mixed_rounds;
    }
    EXPECT_GE(static_cast<int>(acknowledged.size()), round);
  }
  // The race was exercised: some close landed in the middle of the stream.
  EXPECT_GT(mixed_rounds, 0);
}

// Two stores opening one brand-new file at the same moment stand for two
// coordinator processes started together. Switching a new file to WAL needs an
// exclusive lock, and SQLite reports the conflict at once instead of waiting
// for the busy timeout; Open must retry rather than fail "database is locked".
TEST_F(StoreTest, TwoStoresOpeningOneNewFileAtOnceBothSucceed) {
  constexpr int kIterations = 100;
  for (int i = 0; i < kIterations; ++i) {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
    std::atomic<int> ready{0};
    absl::StatusOr<std::unique_ptr<SubmissionStore>> a, b;
    auto open = [&](absl::StatusOr<std::unique_ptr<SubmissionStore>>* out) {
      ++ready;
      while (ready.load() < 2) {
      }
      *out = SubmissionStore::Open(path_);
    };
    std::thread ta(open, &a);
    std::thread tb(open, &b);
    ta.join();
    tb.join();
    ASSERT_THAT(a, IsOk()) << "iteration " << i;
    ASSERT_THAT(b, IsOk()) << "iteration " << i;
    // Both see one schema, and a write through one is seen by the other.
    ASSERT_THAT((*b)->OpenCollection(Collection(2025, kLas)), IsOk());
    ASSERT_THAT((*a)->Insert(kAnnual2025, "E09000033", 2025, 1, "grid", kT0), IsOk());
    auto rows = (*b)->LoadYear(2025);
    ASSERT_THAT(rows, IsOk()) << "iteration " << i;
    EXPECT_EQ(rows->size(), 1u) << "iteration " << i;
  }
}

TEST_F(StoreTest, TwoConnectionsToOneFileAgree) {
  auto a = OpenOrDie();
  auto b = OpenOrDie();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_THAT(a->Insert(kAnnual2025, "E09000033", 2025, 1, "one", kT0), IsOk());
  EXPECT_THAT(b->Insert(kAnnual2025, "E09000033", 2025, 1, "two", kT0),
              StatusIs(absl::StatusCode::kAlreadyExists));
  auto rows = b->LoadYear(2025);
  ASSERT_THAT(rows, IsOk());
  EXPECT_EQ(rows->size(), 1u);
}

}  // namespace
}  // namespace ringfence::coordinator
