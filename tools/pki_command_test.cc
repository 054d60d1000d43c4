#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/csv.h"
#include "base/testing/status_matchers.h"
#include "crypto/identity.h"
#include "crypto/revocation.h"
#include "crypto/x509.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/commands.h"

namespace ringfence::tools {
namespace {

namespace fs = std::filesystem;
using ::ringfence::testing::IsOk;
using ::ringfence::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class PkiCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_pki_command_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
    out_ = root_ + "/pki";
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string Read(const std::string& path) {
    std::string text;
    EXPECT_THAT(base::ReadFileToString(path, &text), IsOk());
    return text;
  }

  // Runs the command, capturing stderr for checks on messages.
  int Run(const std::vector<std::string>& args, std::string* err = nullptr) {
    ::testing::internal::CaptureStderr();
    ::testing::internal::CaptureStdout();
    int rc = RunPkiCommand(args);
    std::string e = ::testing::internal::GetCapturedStderr();
    std::string o = ::testing::internal::GetCapturedStdout();
    if (err != nullptr) *err = e;
    last_stdout_ = o;
    return rc;
  }

  int InitTwoLas() { return Run({"init", "--out", out_, "--la", "E09000033,E08000025"}); }

  static int Mode(const std::string& path) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 0777);
  }

  std::string root_;
  std::string out_;
  std::string last_stdout_;
};

TEST_F(PkiCommandTest, InitWritesEveryFileWithTheRightModes) {
  ASSERT_EQ(InitTwoLas(), 0);
  const std::vector<std::string> pairs = {
      "ca",
      "coordinator",
      "la/E09000033",
      "la/E08000025",
      "recipients/public-web",
      "recipients/dfe_analyst-analyst1",
      "recipients/inspectorate-ofsted1",
      "recipients/home_office_enforcement-enforcement1",
      "operators/ops1",
  };
  for (const std::string& p : pairs) {
    EXPECT_EQ(Mode(out_ + "/" + p + ".key"), 0600) << p;
    EXPECT_EQ(Mode(out_ + "/" + p + ".pem"), 0644) << p;
    if (p != "ca") {
      EXPECT_THAT(crypto::CheckKeyMatchesCertificate(Read(out_ + "/" + p + ".key"),
                                                     Read(out_ + "/" + p + ".pem")),
                  IsOk())
          << p;
    }
  }
  // Nothing else, e.g. no leftover temporary files.
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(out_)) {
    if (entry.is_regular_file()) ++files;
  }
  EXPECT_EQ(files, static_cast<int>(2 * pairs.size()));
  EXPECT_THAT(last_stdout_, HasSubstr("E09000033"));
}

TEST_F(PkiCommandTest, InitCertificatesCarryTheRightNamesAndVerify) {
  ASSERT_EQ(InitTwoLas(), 0);
  const std::string ca = Read(out_ + "/ca.pem");
  absl::StatusOr<crypto::CertificateInfo> ca_info = crypto::ParseCertificate(ca);
  ASSERT_THAT(ca_info, IsOk());
  EXPECT_TRUE(ca_info->is_ca);

  const std::string coordinator = Read(out_ + "/coordinator.pem");
  absl::StatusOr<crypto::CertificateInfo> server = crypto::ParseCertificate(coordinator);
  ASSERT_THAT(server, IsOk());
  EXPECT_FALSE(server->is_ca);
  EXPECT_THAT(server->dns_sans, ElementsAre("localhost"));
  EXPECT_THAT(server->ip_sans, ElementsAre("127.0.0.1"));
  EXPECT_THAT(server->uri_sans, IsEmpty());
  EXPECT_THAT(crypto::VerifyCertificate(coordinator, ca, absl::Now()), IsOk());

  const std::string la = Read(out_ + "/la/E08000025.pem");
  absl::StatusOr<crypto::CertificateInfo> la_info = crypto::ParseCertificate(la);
  ASSERT_THAT(la_info, IsOk());
  EXPECT_THAT(la_info->uri_sans, ElementsAre("urn:ringfence:la:E08000025"));
  EXPECT_THAT(crypto::VerifyCertificate(la, ca, absl::Now()), IsOk());
  EXPECT_GT(la_info->not_after, absl::Now() + absl::Hours(24 * 364));
  EXPECT_LT(la_info->not_after, absl::Now() + absl::Hours(24 * 366));

  absl::StatusOr<crypto::PartyIdentity> enforcement = crypto::IdentityFromCertificate(
      Read(out_ + "/recipients/home_office_enforcement-enforcement1.pem"));
  ASSERT_THAT(enforcement, IsOk());
  EXPECT_EQ(enforcement->kind, crypto::PartyKind::kRecipient);
  EXPECT_EQ(enforcement->recipient_class, "home_office_enforcement");
  EXPECT_EQ(enforcement->name, "enforcement1");

  absl::StatusOr<crypto::PartyIdentity> op =
      crypto::IdentityFromCertificate(Read(out_ + "/operators/ops1.pem"));
  ASSERT_THAT(op, IsOk());
  EXPECT_EQ(op->kind, crypto::PartyKind::kOperator);
}

TEST_F(PkiCommandTest, InitHonoursExplicitRecipientsOperatorsAndDays) {
  ASSERT_EQ(Run({"init", "--out", out_, "--la", "E09000033", "--recipients",
                 "dfe_analyst:alice", "--operators", "", "--days", "30"}),
            0);
  EXPECT_TRUE(fs::exists(out_ + "/recipients/dfe_analyst-alice.pem"));
  EXPECT_FALSE(fs::exists(out_ + "/recipients/public-web.pem"));
  EXPECT_FALSE(fs::exists(out_ + "/operators"));
  absl::StatusOr<crypto::CertificateInfo> info =
      crypto::ParseCertificate(Read(out_ + "/la/E09000033.pem"));
  ASSERT_THAT(info, IsOk());
  EXPECT_LT(info->not_after, absl::Now() + absl::Hours(24 * 31));
}

TEST_F(PkiCommandTest, UnknownLaIsRefusedBeforeAnythingIsWritten) {
  std::string err;
  EXPECT_NE(Run({"init", "--out", out_, "--la", "E09000033,E99999999"}, &err), 0);
  EXPECT_THAT(err, HasSubstr("E99999999"));
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(PkiCommandTest, BadRecipientIsRefusedBeforeAnythingIsWritten) {
  std::string err;
  EXPECT_NE(Run({"init", "--out", out_, "--la", "E09000033", "--recipients", "Bad-Class:x"},
                &err),
            0);
  EXPECT_THAT(err, HasSubstr("class"));
  EXPECT_NE(Run({"init", "--out", out_, "--la", "E09000033", "--recipients", "public"}), 0);
  EXPECT_NE(Run({"init", "--out", out_, "--la", "E09000033,,E08000025"}), 0);
  EXPECT_NE(Run({"init", "--out", out_, "--la", "E09000033", "--coordinator-ip", "1.2.3"}), 0);
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(PkiCommandTest, InitRefusesToOverwriteACaKeyWithoutForce) {
  ASSERT_EQ(InitTwoLas(), 0);
  const std::string old_key = Read(out_ + "/ca.key");
  std::string err;
  EXPECT_EQ(Run({"init", "--out", out_, "--la", "E09000033"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("ca.key"));
  EXPECT_EQ(Read(out_ + "/ca.key"), old_key);

  EXPECT_EQ(Run({"init", "--out", out_, "--la", "E09000033", "--force"}), 0);
  EXPECT_NE(Read(out_ + "/ca.key"), old_key);
  EXPECT_THAT(crypto::VerifyCertificate(Read(out_ + "/la/E09000033.pem"), Read(out_ + "/ca.pem"),
                                        absl::Now()),
              IsOk());
}

TEST_F(PkiCommandTest, IssueMakesValidExpiredAndNotYetValidCertificates) {
  ASSERT_EQ(InitTwoLas(), 0);
  const std::string ca = Read(out_ + "/ca.pem");

  ASSERT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", root_ + "/extra/op2", "--operator",
                 "op2"}),
            0);
  EXPECT_EQ(Mode(root_ + "/extra/op2.key"), 0600);
  EXPECT_THAT(crypto::VerifyCertificate(Read(root_ + "/extra/op2.pem"), ca, absl::Now()), IsOk());

  ASSERT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", root_ + "/expired", "--la",
                 "E09000033", "--expired"}),
            0);
  const std::string expired = Read(root_ + "/expired.pem");
  EXPECT_THAT(crypto::VerifyCertificate(expired, ca, absl::Now()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
  absl::StatusOr<crypto::PartyIdentity> id = crypto::IdentityFromCertificate(expired);
  ASSERT_THAT(id, IsOk());
  EXPECT_EQ(id->la_code, "E09000033");

  ASSERT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", root_ + "/future", "--recipient",
                 "public:web2", "--not-yet-valid"}),
            0);
  EXPECT_THAT(crypto::VerifyCertificate(Read(root_ + "/future.pem"), ca, absl::Now()),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not yet valid")));
}

TEST_F(PkiCommandTest, IssueRenewsTheCoordinatorsServerCertificateWithANewKey) {
  ASSERT_EQ(InitTwoLas(), 0);
  const std::string ca = Read(out_ + "/ca.pem");
  ASSERT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", root_ + "/renewed/coordinator",
                 "--coordinator", "--coordinator-dns", "localhost,coord.example",
                 "--coordinator-ip", "127.0.0.1"}),
            0);
  EXPECT_THAT(last_stdout_, HasSubstr("coordinator server certificate for localhost"));
  EXPECT_EQ(Mode(root_ + "/renewed/coordinator.key"), 0600);
  EXPECT_NE(Read(root_ + "/renewed/coordinator.key"), Read(out_ + "/coordinator.key"));
  EXPECT_THAT(crypto::VerifyCertificate(Read(root_ + "/renewed/coordinator.pem"), ca, absl::Now()),
              IsOk());
  EXPECT_EQ(Run({"show", root_ + "/renewed/coordinator.pem", "--ca", out_ + "/ca.pem"}), 0);
  EXPECT_THAT(last_stdout_,
              HasSubstr("server certificate (DNS:localhost, DNS:coord.example, IP:127.0.0.1)"));
  EXPECT_THAT(last_stdout_, HasSubstr("chain:       OK"));

  // Server names go with --coordinator only, and it needs at least one.
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", root_ + "/y", "--la", "E09000033",
                 "--coordinator-dns", "localhost"}),
            2);
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", root_ + "/y", "--coordinator",
                 "--coordinator-dns", "", "--coordinator-ip", ""}),
            2);
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", root_ + "/y", "--coordinator",
                 "--operator", "o"}),
            2);
  EXPECT_FALSE(fs::exists(root_ + "/y.key"));
}

TEST_F(PkiCommandTest, IssueRejectsBadUsage) {
  ASSERT_EQ(InitTwoLas(), 0);
  const std::string prefix = root_ + "/x";
  // No identity, two identities, unknown LA, conflicting validity.
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", prefix}), 2);
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", prefix, "--la", "E09000033",
                 "--operator", "o"}),
            2);
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", prefix, "--la", "E99999999"}), 2);
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", prefix, "--la", "E09000033",
                 "--expired", "--days", "3"}),
            2);
  // No CA there.
  EXPECT_EQ(Run({"issue", "--ca-dir", root_ + "/nope", "--out-prefix", prefix, "--la",
                 "E09000033"}),
            1);
  EXPECT_FALSE(fs::exists(prefix + ".key"));
  // Existing key is not overwritten without --force.
  ASSERT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", prefix, "--la", "E09000033"}), 0);
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", prefix, "--la", "E09000033"}), 1);
  EXPECT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", prefix, "--la", "E09000033",
                 "--force"}),
            0);
}

TEST_F(PkiCommandTest, ShowPrintsCertificatesAndRejectsOtherFiles) {
  ASSERT_EQ(InitTwoLas(), 0);
  EXPECT_EQ(Run({"show", out_ + "/la/E09000033.pem"}), 0);
  EXPECT_THAT(last_stdout_, HasSubstr("LA E09000033 (Westminster)"));
  EXPECT_THAT(last_stdout_, HasSubstr("SHA-256:"));
  EXPECT_THAT(last_stdout_, HasSubstr("status:      valid"));

  EXPECT_EQ(Run({"show", out_ + "/coordinator.pem", "--ca", out_ + "/ca.pem"}), 0);
  EXPECT_THAT(last_stdout_, HasSubstr("server certificate (DNS:localhost, IP:127.0.0.1)"));
  EXPECT_THAT(last_stdout_, HasSubstr("chain:       OK"));

  ASSERT_EQ(Run({"issue", "--ca-dir", out_, "--out-prefix", root_ + "/old", "--la", "E09000033",
                 "--expired"}),
            0);
  EXPECT_EQ(Run({"show", root_ + "/old.pem"}), 0);
  EXPECT_THAT(last_stdout_, HasSubstr("EXPIRED"));

  ASSERT_THAT(base::WriteFileAtomically(root_ + "/garbage.pem", "not a certificate\n"), IsOk());
  std::string err;
  EXPECT_EQ(Run({"show", root_ + "/garbage.pem"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("not a PEM certificate"));

  EXPECT_EQ(Run({"show", out_ + "/ca.key"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("looks like a private key"));
  EXPECT_THAT(err, ::testing::Not(HasSubstr("BEGIN")));

  EXPECT_EQ(Run({"show", root_ + "/missing.pem"}), 1);
  EXPECT_EQ(Run({"show"}), 2);
}

TEST_F(PkiCommandTest, EverySubcommandHasHelpAndBadUsageIsExitTwo) {
  for (const char* sub : {"init", "issue", "show", "revoke"}) {
    EXPECT_EQ(Run({sub, "--help"}), 0) << sub;
    EXPECT_THAT(last_stdout_, HasSubstr("usage: ringfence pki")) << sub;
  }
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_EQ(Run({}), 2);
  EXPECT_EQ(Run({"frobnicate"}), 2);
  EXPECT_EQ(Run({"init", "--la", "E09000033"}), 2);  // missing --out
  EXPECT_EQ(Run({"init", "--out", out_, "--la", "E09000033", "--days", "0"}), 2);
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(PkiCommandTest, RevokeCreatesThenExtendsASignedCrl) {
  ASSERT_EQ(InitTwoLas(), 0);
  const std::string ca_pem = Read(out_ + "/ca.pem");
  const std::string crl = out_ + "/crl.pem";
  EXPECT_FALSE(fs::exists(crl));
  ASSERT_EQ(Run({"revoke", "--ca-dir", out_, "--cert", out_ + "/la/E09000033.pem"}), 0);
  EXPECT_THAT(last_stdout_, HasSubstr("Revoked serial"));
  EXPECT_THAT(last_stdout_, HasSubstr("CRL number 1"));
  EXPECT_EQ(Mode(crl), 0644);

  absl::StatusOr<std::unique_ptr<crypto::RevocationList>> list =
      crypto::RevocationList::Load(crl, ca_pem);
  ASSERT_THAT(list, IsOk());
  EXPECT_THAT((*list)->IsRevoked(Read(out_ + "/la/E09000033.pem")),
              ringfence::testing::IsOkAndHolds(true));
  EXPECT_THAT((*list)->IsRevoked(Read(out_ + "/la/E08000025.pem")),
              ringfence::testing::IsOkAndHolds(false));

  // A second revocation keeps the first; repeating one is reported, not an error.
  ASSERT_EQ(Run({"revoke", "--ca-dir", out_, "--cert", out_ + "/recipients/public-web.pem",
                 "--crl", crl, "--days", "7"}),
            0);
  EXPECT_THAT(last_stdout_, HasSubstr("CRL number 2"));
  ASSERT_EQ(Run({"revoke", "--ca-dir", out_, "--cert", out_ + "/la/E09000033.pem"}), 0);
  EXPECT_THAT(last_stdout_, HasSubstr("Already revoked"));
  absl::StatusOr<crypto::CrlInfo> info = crypto::ParseAndVerifyCrl(Read(crl), ca_pem);
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->revoked_serials_hex.size(), 2u);
  EXPECT_EQ(info->crl_number, 3);
  EXPECT_GT(info->next_update, absl::Now() + absl::Hours(24 * 29));
}

TEST_F(PkiCommandTest, RevokeRefusesForeignCertificatesAndTamperedCrls) {
  ASSERT_EQ(InitTwoLas(), 0);
  const std::string other = root_ + "/other";
  ASSERT_EQ(Run({"init", "--out", other, "--la", "E09000033"}), 0);
  std::string err;
  EXPECT_EQ(Run({"revoke", "--ca-dir", out_, "--cert", other + "/la/E09000033.pem"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("not issued by this CA"));
  EXPECT_FALSE(fs::exists(out_ + "/crl.pem"));

  // A CRL signed by another CA is not extended (nor silently replaced).
  ASSERT_EQ(Run({"revoke", "--ca-dir", other, "--cert", other + "/la/E09000033.pem"}), 0);
  const std::string foreign = Read(other + "/crl.pem");
  ASSERT_THAT(base::WriteFileAtomically(out_ + "/crl.pem", foreign), IsOk());
  EXPECT_EQ(Run({"revoke", "--ca-dir", out_, "--cert", out_ + "/la/E09000033.pem"}, &err), 1);
  EXPECT_THAT(err, HasSubstr("CRL unchanged"));
  EXPECT_EQ(Read(out_ + "/crl.pem"), foreign);

  EXPECT_EQ(Run({"revoke", "--ca-dir", out_}), 2);  // missing --cert
  EXPECT_EQ(Run({"revoke", "--ca-dir", out_, "--cert", out_ + "/la/E09000033.pem", "--days",
                 "0"}),
            2);
  EXPECT_EQ(Run({"revoke", "--ca-dir", out_, "--cert", root_ + "/missing.pem"}), 1);
}

}  // namespace
}  // namespace ringfence::tools
