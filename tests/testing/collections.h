// Test helpers for a coordinator's CollectionAdmin service, called with an operator
// certificate from a test PKI (`ringfence pki init --operators NAME` writes
// PKI/operators/NAME.pem and .key). Every call has a deadline of `timeout`.
#ifndef RINGFENCE_TESTS_TESTING_COLLECTIONS_H_
#define RINGFENCE_TESTS_TESTING_COLLECTIONS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proto/coordinator_service.pb.h"

namespace ringfence::testing {

struct OperatorClient {
  std::string address;   // "127.0.0.1:PORT"
  std::string pki_dir;   // holds ca.pem and operators/NAME.{pem,key}
  std::string name;      // the operator's NAME
  absl::Duration timeout = absl::Seconds(10);
};

// Opens the annual collection of `year` for `las`, with a deadline a day from now. The
// coordinator's status is returned as is (OK also when it was already open with the same
// parameters).
absl::StatusOr<v1::Collection> OpenAnnualCollection(const OperatorClient& op, int year,
                                                    const std::vector<std::string>& las);

absl::StatusOr<v1::Collection> CloseCollection(const OperatorClient& op,
                                               const std::string& collection_id);

absl::StatusOr<v1::CollectionStatus> GetCollectionStatus(const OperatorClient& op,
                                                         const std::string& collection_id);

}  // namespace ringfence::testing

#endif  // RINGFENCE_TESTS_TESTING_COLLECTIONS_H_
