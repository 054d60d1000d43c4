#include "node/ledger.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ringfence::node {
namespace {

using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr LedgerRho kHalf{1, 2};
constexpr LedgerRho kThird{1, 3};
constexpr LedgerRho kQuarter{1, 4};
constexpr LedgerRho kSixth{1, 6};

RoundKey Key(int year = 2025, unsigned catalogue_version = 1,
             const std::string& period = kAnnualPeriod, const std::string& la = "E09000033") {
  return RoundKey{la, year, period, catalogue_version};
}

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_ledger_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ledger.db";
    options_.clock = [this] { return now_; };
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) ::unlink((path_ + suffix).c_str());
    ::rmdir(dir_.c_str());
  }

  std::unique_ptr<Ledger> OpenOrDie() {
    absl::StatusOr<std::unique_ptr<Ledger>> ledger = Ledger::Open(path_, options_);
    EXPECT_THAT(ledger, IsOk());
    return ledger.ok() ? std::move(*ledger) : nullptr;
  }

  // Runs SQL on the file through a separate raw connection and returns the first column of the
  // last row. CHECK constraints are off so tests can write what only corruption could.
  std::string RawQuery(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string out;
    auto cb = [](void* p, int n, char** values, char**) {
      if (n > 0 && values[0] != nullptr) *static_cast<std::string*>(p) = values[0];
      return 0;
    };
    char* err = nullptr;
    EXPECT_EQ(
        sqlite3_exec(db, ("PRAGMA ignore_check_constraints=ON; " + sql).c_str(), cb, &out, &err),
        SQLITE_OK)
        << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
    return out;
  }

  bool Exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }

  std::string dir_;
  std::string path_;
  absl::Time now_ = absl::FromUnixSeconds(1'750'000'000);
  LedgerOptions options_;
};

TEST_F(LedgerTest, CreatesANewVersionedLedgerInWalMode) {
  ASSERT_FALSE(Exists(path_));
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  EXPECT_EQ(ledger->path(), path_);
  EXPECT_FALSE(ledger->read_only());
  EXPECT_TRUE(Exists(path_));
  absl::StatusOr<std::vector<YearSpend>> spending = ledger->Spending();
  ASSERT_THAT(spending, IsOk());
  EXPECT_TRUE(spending->empty());
  ledger.reset();
  EXPECT_EQ(RawQuery("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(RawQuery("PRAGMA user_version"), absl::StrCat(kLedgerSchemaVersion));
  EXPECT_EQ(RawQuery("PRAGMA application_id"), absl::StrCat(kLedgerApplicationId));
  EXPECT_EQ(RawQuery("SELECT name FROM sqlite_schema WHERE type='table'"), "rounds");
}

TEST_F(LedgerTest, RecordsASpendAndFindsIt) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  absl::StatusOr<std::optional<CachedRound>> none = ledger->Find(Key());
  ASSERT_THAT(none, IsOk());
  EXPECT_FALSE(none->has_value());

  const std::string payload("123456789");
  absl::StatusOr<CachedRound> r = ledger->RecordSpend(Key(), kQuarter, kHalf, payload);
  ASSERT_THAT(r, IsOk());
  EXPECT_TRUE(r->newly_recorded);
  EXPECT_EQ(r->payload, payload);
  EXPECT_EQ(r->rho, kQuarter);
  EXPECT_EQ(r->budget, kHalf);
  EXPECT_EQ(r->recorded_at, now_);
  EXPECT_FALSE(r->sent());
  EXPECT_TRUE(r->receipt.empty());

  absl::StatusOr<std::optional<CachedRound>> found = ledger->Find(Key());
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  const CachedRound& c = **found;
  EXPECT_EQ(c.key.la_code, "E09000033");
  EXPECT_EQ(c.key.year, 2025);
  EXPECT_EQ(c.key.period, "annual");
  EXPECT_EQ(c.key.catalogue_version, 1u);
  EXPECT_EQ(c.payload, payload);
  EXPECT_EQ(c.rho, kQuarter);
  EXPECT_EQ(c.recorded_at, now_);
  EXPECT_FALSE(c.newly_recorded);

  ledger.reset();
  // Length and the standard CRC-32 check value of "123456789" are stored beside the payload.
  EXPECT_EQ(RawQuery("SELECT payload_length FROM rounds"), "9");
  EXPECT_EQ(RawQuery("SELECT payload_crc32 FROM rounds"), absl::StrCat(0xCBF43926u));
  EXPECT_EQ(RawQuery("SELECT recorded_at FROM rounds"), "2025-06-15T15:06:40+00:00");
}

TEST_F(LedgerTest, ReopeningKeepsSpendsAndCachedPayloads) {
  const std::string payload("protected\0cells\xff", 16);
  {
    auto ledger = OpenOrDie();
    ASSERT_NE(ledger, nullptr);
    ASSERT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, payload), IsOk());
  }
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  auto found = ledger->Find(Key());
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->payload, payload);
  // The reopened ledger still counts the first spend against the budget.
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 2), kHalf, kHalf, "x"),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(LedgerTest, ARecordedRoundIsResentByteForByteAndNotSpentTwice) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  const std::string first("first noisy cells\0\x01", 19);
  auto r1 = ledger->RecordSpend(Key(), kQuarter, kHalf, first);
  ASSERT_THAT(r1, IsOk());
  ASSERT_TRUE(r1->newly_recorded);

  // A retry after a crash recomputes with fresh noise; the ledger hands back the first cells.
  now_ += absl::Hours(1);
  auto r2 = ledger->RecordSpend(Key(), kQuarter, kHalf, "second, fresh noise");
  ASSERT_THAT(r2, IsOk());
  EXPECT_FALSE(r2->newly_recorded);
  EXPECT_EQ(r2->payload, first);
  EXPECT_EQ(r2->recorded_at, r1->recorded_at);

  // Even if the budget has since been lowered below what was spent, or the caller's rho
  // differs, the cached round is returned unchanged: resending costs nothing.
  auto r3 = ledger->RecordSpend(Key(), kHalf, LedgerRho{1, 100}, "third");
  ASSERT_THAT(r3, IsOk());
  EXPECT_FALSE(r3->newly_recorded);
  EXPECT_EQ(r3->payload, first);
  EXPECT_EQ(r3->rho, kQuarter);

  auto spending = ledger->Spending();
  ASSERT_THAT(spending, IsOk());
  ASSERT_EQ(spending->size(), 1u);
  EXPECT_EQ((*spending)[0].spent, kQuarter);
  EXPECT_EQ((*spending)[0].round_count, 1);
}

TEST_F(LedgerTest, AnOverBudgetSpendIsRefusedWithAClearMessageAndWritesNothing) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 1), kQuarter, kHalf, "v1 cells"), IsOk());
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 2), kHalf, kHalf, "v2 cells"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "privacy budget for E09000033 2025: spent 1/4 of 1/2 zCDP; this round "
                       "(annual, catalogue v2) needs 1/2; refused, nothing sent"));
  auto refused = ledger->Find(Key(2025, 2));
  ASSERT_THAT(refused, IsOk());
  EXPECT_FALSE(refused->has_value());
  ledger.reset();
  EXPECT_EQ(RawQuery("SELECT count(*) FROM rounds"), "1");
}

TEST_F(LedgerTest, ARoundLargerThanTheWholeBudgetIsRefused) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  EXPECT_THAT(ledger->RecordSpend(Key(), LedgerRho{1, 1}, kHalf, "cells"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("spent 0 of 1/2 zCDP; this round (annual, catalogue v1) needs "
                                 "1; refused, nothing sent")));
  EXPECT_THAT(ledger->RecordSpend(Key(), kQuarter, LedgerRho{0, 1}, "cells"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("spent 0 of 0 zCDP")));
}

TEST_F(LedgerTest, ExactSumsFillTheBudgetExactly) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  // 1/3 + 1/6 = 1/2 exactly (in floating point 1/3 + 1/6 need not compare equal to 1/2).
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 1), kThird, kHalf, "a"), IsOk());
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 2), kSixth, kHalf, "b"), IsOk());
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 3), LedgerRho{1, 1'000'000'000}, kHalf, "c"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("spent 1/2 of 1/2")));
  auto spending = ledger->Spending();
  ASSERT_THAT(spending, IsOk());
  ASSERT_EQ(spending->size(), 1u);
  EXPECT_EQ((*spending)[0].spent, kHalf);
  EXPECT_EQ((*spending)[0].remaining, (LedgerRho{0, 1}));
}

TEST_F(LedgerTest, OneThirdTwiceDoesNotFitOneHalf) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 1), kThird, kHalf, "a"), IsOk());
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 2), kThird, kHalf, "b"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("spent 1/3 of 1/2 zCDP; this round (annual, catalogue v2) "
                                 "needs 1/3")));
  // Unreduced arguments are reduced: 2/6 is 1/3.
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 3), LedgerRho{2, 6}, LedgerRho{3, 6}, "b"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("needs 1/3")));
}

TEST_F(LedgerTest, EachLaAndCollectionYearHasItsOwnBudget) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  EXPECT_THAT(ledger->RecordSpend(Key(2024), kHalf, kHalf, "2024"), IsOk());
  EXPECT_THAT(ledger->RecordSpend(Key(2025), kHalf, kHalf, "2025"), IsOk());
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 1, "annual", "E08000037"), kHalf, kHalf, "other"),
              IsOk());
  // A different period of the same year shares the year's budget.
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 1, "2025-q1"), kQuarter, kHalf, "q1"),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

TEST_F(LedgerTest, MarkSentIsIdempotentAndKeepsTheFirstTime) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  ASSERT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, "cells"), IsOk());
  now_ += absl::Minutes(5);
  const absl::Time sent_time = now_;
  ASSERT_THAT(ledger->MarkSent(Key(), "abc123"), IsOk());
  now_ += absl::Minutes(5);
  ASSERT_THAT(ledger->MarkSent(Key(), "abc123"), IsOk());

  auto found = ledger->Find(Key());
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->sent());
  EXPECT_EQ((*found)->sent_at, sent_time);
  EXPECT_EQ((*found)->receipt, "abc123");
  // A later RecordSpend of the same round reports it as sent.
  auto again = ledger->RecordSpend(Key(), kQuarter, kHalf, "cells");
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->sent());
  EXPECT_EQ(again->receipt, "abc123");
}

TEST_F(LedgerTest, MarkSentWithADifferentReceiptIsRefused) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  ASSERT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, "cells"), IsOk());
  ASSERT_THAT(ledger->MarkSent(Key(), "abc123"), IsOk());
  EXPECT_THAT(ledger->MarkSent(Key(), "def456"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path_), HasSubstr("already marked sent with receipt "
                                                         "abc123, not def456"))));
  auto found = ledger->Find(Key());
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ((*found)->receipt, "abc123");
}

TEST_F(LedgerTest, MarkSentOfAnUnknownRoundIsNotFound) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  EXPECT_THAT(ledger->MarkSent(Key(), "abc123"),
              StatusIs(absl::StatusCode::kNotFound,
                       AllOf(HasSubstr(path_), HasSubstr("E09000033 2025 annual, catalogue v1"))));
}

TEST_F(LedgerTest, SpendingReportsEachLaAndYearExactly) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  const absl::Time t0 = now_;
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 1), kSixth, kHalf, "a"), IsOk());
  now_ += absl::Hours(1);
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 2), kSixth, LedgerRho{1, 1}, "bb"), IsOk());
  ASSERT_THAT(ledger->MarkSent(Key(2025, 1), "r1"), IsOk());
  ASSERT_THAT(ledger->RecordSpend(Key(2024), kQuarter, kHalf, "c"), IsOk());
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 1, "annual", "E08000037"), kHalf, kHalf, "d"), IsOk());

  auto spending = ledger->Spending();
  ASSERT_THAT(spending, IsOk());
  ASSERT_EQ(spending->size(), 3u);
  // Ordered by LA code, then year.
  EXPECT_EQ((*spending)[0].la_code, "E08000037");
  EXPECT_EQ((*spending)[0].remaining, (LedgerRho{0, 1}));
  EXPECT_EQ((*spending)[1].la_code, "E09000033");
  EXPECT_EQ((*spending)[1].year, 2024);
  EXPECT_EQ((*spending)[1].spent, kQuarter);
  EXPECT_EQ((*spending)[1].remaining, kQuarter);

  const YearSpend& y = (*spending)[2];
  EXPECT_EQ(y.la_code, "E09000033");
  EXPECT_EQ(y.year, 2025);
  EXPECT_EQ(y.spent, kThird);              // 1/6 + 1/6
  EXPECT_EQ(y.budget, (LedgerRho{1, 1}));  // given with the latest round
  EXPECT_EQ(y.remaining, (LedgerRho{2, 3}));
  EXPECT_EQ(y.round_count, 2);
  EXPECT_EQ(y.sent_count, 1);
  ASSERT_EQ(y.rounds.size(), 2u);
  EXPECT_EQ(y.rounds[0].period, "annual");
  EXPECT_EQ(y.rounds[0].catalogue_version, 1u);
  EXPECT_EQ(y.rounds[0].rho, kSixth);
  EXPECT_EQ(y.rounds[0].budget, kHalf);
  EXPECT_EQ(y.rounds[0].payload_size, 1);
  EXPECT_EQ(y.rounds[0].recorded_at, t0);
  EXPECT_TRUE(y.rounds[0].sent_at.has_value());
  EXPECT_EQ(y.rounds[0].receipt, "r1");
  EXPECT_EQ(y.rounds[1].catalogue_version, 2u);
  EXPECT_EQ(y.rounds[1].payload_size, 2);
  EXPECT_EQ(y.rounds[1].recorded_at, t0 + absl::Hours(1));
  EXPECT_FALSE(y.rounds[1].sent_at.has_value());
  EXPECT_TRUE(y.rounds[1].receipt.empty());
}

TEST(LedgerRhoTest, ArithmeticIsExact) {
  EXPECT_THAT(MakeLedgerRho(2, 4), ringfence::testing::IsOkAndHolds(kHalf));
  EXPECT_THAT(MakeLedgerRho(0, 7), ringfence::testing::IsOkAndHolds(LedgerRho{0, 1}));
  EXPECT_THAT(MakeLedgerRho(1, 0), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(AddRho(kThird, kSixth), ringfence::testing::IsOkAndHolds(kHalf));
  EXPECT_THAT(AddRho(kQuarter, kQuarter), ringfence::testing::IsOkAndHolds(kHalf));
  EXPECT_THAT(AddRho(kThird, LedgerRho{1, 0}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SubtractRhoOrZero(kHalf, kThird), ringfence::testing::IsOkAndHolds(kSixth));
  EXPECT_THAT(SubtractRhoOrZero(kThird, kHalf), ringfence::testing::IsOkAndHolds(LedgerRho{0, 1}));
  EXPECT_EQ(CompareRho(kThird, kHalf), -1);
  EXPECT_EQ(CompareRho(LedgerRho{2, 4}, kHalf), 0);
  EXPECT_EQ(CompareRho(kHalf, kSixth), 1);
  // Cross products beyond 64 bits still compare exactly.
  const uint64_t big = UINT64_MAX;
  EXPECT_EQ(CompareRho(LedgerRho{big - 1, big}, LedgerRho{big - 2, big - 1}), 1);
  EXPECT_EQ(FormatRho(kQuarter), "1/4");
  EXPECT_EQ(FormatRho(LedgerRho{3, 1}), "3");
  EXPECT_EQ(FormatRho(LedgerRho{0, 1}), "0");
}

TEST(LedgerRhoTest, SumsThatDoNotFit64BitsAreOutOfRange) {
  // Coprime denominators near 2^64: the sum's denominator is their product.
  const LedgerRho a{1, UINT64_MAX};
  const LedgerRho b{1, UINT64_MAX - 1};
  EXPECT_THAT(AddRho(a, b), StatusIs(absl::StatusCode::kOutOfRange));
  const LedgerRho c{UINT64_MAX, 1};
  EXPECT_THAT(AddRho(c, c), StatusIs(absl::StatusCode::kOutOfRange));
}

TEST_F(LedgerTest, ASumThatCannotBeComputedExactlyIsRefused) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  const uint64_t max = static_cast<uint64_t>(INT64_MAX);
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 1), LedgerRho{1, max}, LedgerRho{1, 1}, "a"), IsOk());
  // Consecutive denominators are coprime: the exact sum needs a 126-bit denominator.
  EXPECT_THAT(
      ledger->RecordSpend(Key(2025, 2), LedgerRho{1, max - 1}, LedgerRho{1, 1}, "b"),
      StatusIs(absl::StatusCode::kOutOfRange, AllOf(HasSubstr("privacy budget for E09000033 2025"),
                                                    HasSubstr("refused, nothing sent"))));
  auto refused = ledger->Find(Key(2025, 2));
  ASSERT_THAT(refused, IsOk());
  EXPECT_FALSE(refused->has_value());
}

TEST_F(LedgerTest, MalformedArgumentsAreInvalid) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 1, "annual", "Camden"), kQuarter, kHalf, "x"),
              StatusIs(kInvalid, HasSubstr("not a GSS code")));
  EXPECT_THAT(ledger->RecordSpend(Key(0), kQuarter, kHalf, "x"), StatusIs(kInvalid));
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 1, ""), kQuarter, kHalf, "x"), StatusIs(kInvalid));
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 1, "q 1"), kQuarter, kHalf, "x"), StatusIs(kInvalid));
  EXPECT_THAT(ledger->RecordSpend(Key(), LedgerRho{1, 0}, kHalf, "x"),
              StatusIs(kInvalid, HasSubstr("zero denominator")));
  EXPECT_THAT(ledger->RecordSpend(Key(), kQuarter, LedgerRho{1, 0}, "x"),
              StatusIs(kInvalid, HasSubstr("zero denominator")));
  EXPECT_THAT(ledger->RecordSpend(Key(), LedgerRho{0, 1}, kHalf, "x"),
              StatusIs(kInvalid, HasSubstr("positive")));
  EXPECT_THAT(ledger->RecordSpend(Key(), LedgerRho{1, UINT64_MAX}, kHalf, "x"),
              StatusIs(kInvalid, HasSubstr("2^63 - 1")));
  EXPECT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, ""),
              StatusIs(kInvalid, HasSubstr("empty")));
  EXPECT_THAT(ledger->Find(Key(2025, 1, "annual", "e09000033")), StatusIs(kInvalid));
  ASSERT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, "x"), IsOk());
  EXPECT_THAT(ledger->MarkSent(Key(), ""), StatusIs(kInvalid));
  EXPECT_THAT(ledger->MarkSent(Key(), "has space"), StatusIs(kInvalid));
  ledger.reset();
  EXPECT_EQ(RawQuery("SELECT count(*) FROM rounds"), "1");
}

TEST_F(LedgerTest, AFileThatIsNotADatabaseIsDataLossNamingTheFile) {
  { std::ofstream(path_) << "this is not an SQLite database, just some text long enough\n"; }
  EXPECT_THAT(
      Ledger::Open(path_, options_),
      StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path_), HasSubstr("not a database"))));
  EXPECT_THAT(
      Ledger::OpenReadOnly(path_, options_),
      StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path_), HasSubstr("not a database"))));
}

TEST_F(LedgerTest, ACorruptedFileIsDataLossNamingTheFile) {
  {
    auto ledger = OpenOrDie();
    ASSERT_NE(ledger, nullptr);
    for (int year = 2000; year < 2040; ++year) {
      ASSERT_THAT(ledger->RecordSpend(Key(year), kQuarter, kHalf, std::string(500, 'c')), IsOk());
    }
  }
  // Closing the last connection checkpoints the WAL into the main file.
  ASSERT_FALSE(Exists(path_ + "-wal"));
  {
    // Overwrite the second page (the table's root) with garbage.
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096);
    const std::string garbage(512, '\xA5');
    f.write(garbage.data(), garbage.size());
  }
  EXPECT_THAT(Ledger::Open(path_, options_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path_)));
  EXPECT_THAT(Ledger::OpenReadOnly(path_, options_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(path_)));
}

TEST_F(LedgerTest, ANewerSchemaVersionIsRefusedNamingTheFile) {
  { auto ledger = OpenOrDie(); }
  RawQuery("PRAGMA user_version=2");
  EXPECT_THAT(Ledger::Open(path_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path_), HasSubstr("schema version 2"))));
  EXPECT_THAT(Ledger::OpenReadOnly(path_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("schema version 2")));
}

TEST_F(LedgerTest, AnotherSqliteDatabaseIsRefusedAndNotModified) {
  // Like a coordinator database: a schema version but no ledger application id.
  RawQuery("CREATE TABLE submissions (x INTEGER); PRAGMA user_version=1");
  EXPECT_THAT(Ledger::Open(path_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path_), HasSubstr("not a Ringfence privacy ledger"))));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM sqlite_schema WHERE name='rounds'"), "0");
}

TEST_F(LedgerTest, AForeignUnversionedSqliteFileIsNotModified) {
  RawQuery("CREATE TABLE other (x INTEGER)");
  EXPECT_THAT(Ledger::Open(path_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path_), HasSubstr("refusing to use or modify it"))));
  EXPECT_EQ(RawQuery("SELECT count(*) FROM sqlite_schema WHERE name='rounds'"), "0");
}

TEST_F(LedgerTest, AVersionedLedgerWithoutItsTableIsDataLoss) {
  { auto ledger = OpenOrDie(); }
  RawQuery("DROP TABLE rounds");
  EXPECT_THAT(
      Ledger::Open(path_, options_),
      StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path_), HasSubstr("no rounds table"))));
}

TEST_F(LedgerTest, ATruncatedPayloadIsDataLoss) {
  {
    auto ledger = OpenOrDie();
    ASSERT_NE(ledger, nullptr);
    ASSERT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, "cells"), IsOk());
  }
  RawQuery("UPDATE rounds SET payload = X'63656C6C'");  // "cell"
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  const auto matches =
      StatusIs(absl::StatusCode::kDataLoss,
               AllOf(HasSubstr(path_), HasSubstr("E09000033 2025 annual, catalogue v1"),
                     HasSubstr("payload is 4 bytes but 5 were recorded")));
  EXPECT_THAT(ledger->Find(Key()), matches);
  // Fail closed: the damaged round is neither resent nor replaced.
  EXPECT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, "fresh"), matches);
  EXPECT_THAT(ledger->Spending(), matches);
}

TEST_F(LedgerTest, AModifiedPayloadFailsItsChecksum) {
  {
    auto ledger = OpenOrDie();
    ASSERT_NE(ledger, nullptr);
    ASSERT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, "cells"), IsOk());
  }
  RawQuery("UPDATE rounds SET payload = X'63656C6C74'");  // "cellt", same length
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  EXPECT_THAT(ledger->Find(Key()),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(path_), HasSubstr("does not match its CRC-32"))));
}

TEST_F(LedgerTest, AZeroDenominatorIsDataLossAndBlocksFurtherSpending) {
  auto ledger = OpenOrDie();
  ASSERT_NE(ledger, nullptr);
  ASSERT_THAT(ledger->RecordSpend(Key(2025, 1), kQuarter, kHalf, "cells"), IsOk());
  // Damaged while the ledger is open (opening checks the CHECK constraints; see below).
  RawQuery("UPDATE rounds SET rho_denominator = 0");
  const auto matches =
      StatusIs(absl::StatusCode::kDataLoss, AllOf(HasSubstr(path_), HasSubstr("zero denominator")));
  EXPECT_THAT(ledger->Find(Key(2025, 1)), matches);
  EXPECT_THAT(ledger->Spending(), matches);
  // The year's spending cannot be summed, so no new round of that year may be recorded.
  EXPECT_THAT(ledger->RecordSpend(Key(2025, 2), kQuarter, kHalf, "more"), matches);
  // Another year is unaffected.
  EXPECT_THAT(ledger->RecordSpend(Key(2026), kQuarter, kHalf, "next year"), IsOk());
  ledger.reset();
  EXPECT_THAT(Ledger::Open(path_, options_),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr(path_), HasSubstr("integrity check failed"))));
}

TEST_F(LedgerTest, OpenReadOnlyOfAMissingFileIsNotFoundAndCreatesNothing) {
  EXPECT_THAT(
      Ledger::OpenReadOnly(path_, options_),
      StatusIs(absl::StatusCode::kNotFound, AllOf(HasSubstr(path_), HasSubstr("does not exist"))));
  EXPECT_FALSE(Exists(path_));
}

TEST_F(LedgerTest, OpenReadOnlyReadsButNeverWrites) {
  {
    auto ledger = OpenOrDie();
    ASSERT_NE(ledger, nullptr);
    ASSERT_THAT(ledger->RecordSpend(Key(), kQuarter, kHalf, "cells"), IsOk());
  }
  auto opened = Ledger::OpenReadOnly(path_, options_);
  ASSERT_THAT(opened, IsOk());
  Ledger& ledger = **opened;
  EXPECT_TRUE(ledger.read_only());
  auto found = ledger.Find(Key());
  ASSERT_THAT(found, IsOk());
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->payload, "cells");
  auto spending = ledger.Spending();
  ASSERT_THAT(spending, IsOk());
  ASSERT_EQ(spending->size(), 1u);
  EXPECT_EQ((*spending)[0].remaining, kQuarter);
  EXPECT_THAT(ledger.RecordSpend(Key(2026), kQuarter, kHalf, "cells"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("read-only")));
  EXPECT_THAT(ledger.MarkSent(Key(), "abc"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("read-only")));
}

TEST_F(LedgerTest, OpenReadOnlyOfAnEmptyFileIsNotALedger) {
  { std::ofstream touch(path_); }
  EXPECT_THAT(Ledger::OpenReadOnly(path_, options_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(path_), HasSubstr("not a Ringfence ledger"))));
}

TEST_F(LedgerTest, AMissingFolderIsUnavailableNamingTheFile) {
  const std::string missing = dir_ + "/no/such/dir/ledger.db";
  EXPECT_THAT(Ledger::Open(missing, options_),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr(missing)));
}

TEST_F(LedgerTest, TwoLedgersCreatingOneFileAtOnceBothOpenIt) {
  for (int i = 0; i < 10; ++i) {
    for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path_ + suffix).c_str());
    std::atomic<bool> go{false};
    absl::StatusOr<std::unique_ptr<Ledger>> a, b;
    std::thread ta([&] {
      while (!go.load()) {
      }
      a = Ledger::Open(path_, options_);
    });
    std::thread tb([&] {
      while (!go.load()) {
      }
      b = Ledger::Open(path_, options_);
    });
    go.store(true);
    ta.join();
    tb.join();
    ASSERT_THAT(a, IsOk());
    ASSERT_THAT(b, IsOk());
    ASSERT_THAT((*a)->RecordSpend(Key(), kHalf, kHalf, "cells"), IsOk());
    auto seen = (*b)->Find(Key());
    ASSERT_THAT(seen, IsOk());
    EXPECT_TRUE(seen->has_value());
  }
}

// Two Ledger objects on one file stand for two node processes started at once.
TEST_F(LedgerTest, TwoLedgersRacingOnOneRoundSpendExactlyOnce) {
  auto a = OpenOrDie();
  auto b = OpenOrDie();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kRounds = 40;
  for (int i = 0; i < kRounds; ++i) {
    const RoundKey key = Key(2000 + i);
    std::atomic<bool> go{false};
    absl::StatusOr<CachedRound> ra, rb;
    std::thread ta([&] {
      while (!go.load()) {
      }
      ra = a->RecordSpend(key, kHalf, kHalf, "cells from a");
    });
    std::thread tb([&] {
      while (!go.load()) {
      }
      rb = b->RecordSpend(key, kHalf, kHalf, "cells from b");
    });
    go.store(true);
    ta.join();
    tb.join();
    ASSERT_THAT(ra, IsOk());
    ASSERT_THAT(rb, IsOk());
    EXPECT_NE(ra->newly_recorded, rb->newly_recorded) << "round " << i;
    EXPECT_EQ(ra->payload, rb->payload) << "round " << i;
  }
  auto spending = a->Spending();
  ASSERT_THAT(spending, IsOk());
  ASSERT_EQ(spending->size(), static_cast<size_t>(kRounds));
  for (const YearSpend& y : *spending) {
    EXPECT_EQ(y.round_count, 1);
    EXPECT_EQ(y.spent, kHalf);
  }
}

TEST_F(LedgerTest, TwoLedgersRacingForTheLastOfTheBudgetOnlyOneWins) {
  auto a = OpenOrDie();
  auto b = OpenOrDie();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  constexpr int kYears = 20;
  for (int i = 0; i < kYears; ++i) {
    std::atomic<bool> go{false};
    absl::StatusOr<CachedRound> ra, rb;
    std::thread ta([&] {
      while (!go.load()) {
      }
      ra = a->RecordSpend(Key(2000 + i, 1), kHalf, kHalf, "a");
    });
    std::thread tb([&] {
      while (!go.load()) {
      }
      rb = b->RecordSpend(Key(2000 + i, 2), kHalf, kHalf, "b");
    });
    go.store(true);
    ta.join();
    tb.join();
    EXPECT_NE(ra.ok(), rb.ok()) << "year " << 2000 + i;
    const absl::Status& refused = ra.ok() ? rb.status() : ra.status();
    EXPECT_THAT(refused, StatusIs(absl::StatusCode::kResourceExhausted));
  }
  auto spending = b->Spending();
  ASSERT_THAT(spending, IsOk());
  ASSERT_EQ(spending->size(), static_cast<size_t>(kYears));
  for (const YearSpend& y : *spending) EXPECT_EQ(y.spent, kHalf);
}

}  // namespace
}  // namespace ringfence::node
