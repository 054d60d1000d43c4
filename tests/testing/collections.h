// Opens, closes and reads collections on a ringfence-coordinator under test, over mutual TLS
// with an operator certificate of the PKI that `ringfence pki init --out PKI_DIR` made (its
// default operator is "ops1": PKI_DIR/operators/ops1.pem/.key, PKI_DIR/ca.pem). End-to-end
// tests open a collection before their nodes submit and close it before they release, as an
// operator would with `ringfence collection` (the tests of that command run the binary itself).
//
// Every call has a 10 s deadline. Errors: the coordinator's status, code for code; NOT_FOUND
// (or another LoadTlsMaterial error) when the certificate files cannot be read.
#ifndef RINGFENCE_TESTS_TESTING_COLLECTIONS_H_
#define RINGFENCE_TESTS_TESTING_COLLECTIONS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/coordinator_service.pb.h"

namespace ringfence::testing {

// The coordinator at `address`, administered as operator `operator_name` of `pki_dir`.
struct CollectionAdminTarget {
  std::string address;  // "127.0.0.1:PORT"
  std::string pki_dir;
  std::string operator_name = "ops1";
};

absl::StatusOr<v1::Collection> OpenCollection(const CollectionAdminTarget& target,
                                              const v1::OpenCollectionRequest& request);

// Opens "<year>-annual" expecting `las`, with a deadline `deadline_in` from now.
absl::StatusOr<v1::Collection> OpenAnnualCollection(const CollectionAdminTarget& target, int year,
                                                    const std::vector<std::string>& las,
                                                    absl::Duration deadline_in = absl::Hours(24));

absl::StatusOr<v1::Collection> CloseCollection(const CollectionAdminTarget& target,
                                               const std::string& collection_id);

absl::StatusOr<v1::CollectionStatus> GetCollectionStatus(const CollectionAdminTarget& target,
                                                         const std::string& collection_id);

}  // namespace ringfence::testing

#endif  // RINGFENCE_TESTS_TESTING_COLLECTIONS_H_
