#include "crypto/identity.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "catalogue/la_registry.h"
#include "crypto/x509.h"

namespace ringfence::crypto {
namespace {

constexpr absl::string_view kUrnPrefix = "urn:ringfence:";

bool IsClass(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_islower(static_cast<unsigned char>(c)) &&
        !absl::ascii_isdigit(static_cast<unsigned char>(c)) && c != '_') {
      return false;
    }
  }
  return true;
}

bool IsName(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '-') {
      return false;
    }
  }
  return true;
}

absl::Status Bad(absl::string_view uri, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("identity URI '", absl::CEscape(uri), "': ", why));
}

}  // namespace

absl::StatusOr<PartyIdentity> ParseIdentityUri(absl::string_view uri) {
  // Case-sensitive on purpose: one spelling per identity, so string comparison of URIs
  // (e.g. in logs and policy) means identity comparison.
  if (!absl::StartsWith(uri, kUrnPrefix)) {
    return Bad(uri, absl::StrCat("does not start with ", kUrnPrefix));
  }
  const std::vector<absl::string_view> parts =
      absl::StrSplit(uri.substr(kUrnPrefix.size()), ':');
  const absl::string_view kind = parts[0];
  PartyIdentity id;
  id.uri = std::string(uri);
  if (kind == "la") {
    if (parts.size() != 2) return Bad(uri, "expected urn:ringfence:la:<LA code>");
    if (catalogue::FindLocalAuthority(parts[1]) == nullptr) {
      return Bad(uri, absl::StrCat("unknown LA code '", absl::CEscape(parts[1]), "'"));
    }
    id.kind = PartyKind::kLocalAuthority;
    id.la_code = std::string(parts[1]);
    return id;
  }
  if (kind == "recipient") {
    if (parts.size() != 3) return Bad(uri, "expected urn:ringfence:recipient:<class>:<name>");
    if (!IsClass(parts[1])) return Bad(uri, "recipient class must be [a-z0-9_]+");
    if (!IsName(parts[2])) return Bad(uri, "recipient name must be [A-Za-z0-9._-]+");
    id.kind = PartyKind::kRecipient;
    id.recipient_class = std::string(parts[1]);
    id.name = std::string(parts[2]);
    return id;
  }
  if (kind == "operator") {
    if (parts.size() != 2) return Bad(uri, "expected urn:ringfence:operator:<name>");
    if (!IsName(parts[1])) return Bad(uri, "operator name must be [A-Za-z0-9._-]+");
    id.kind = PartyKind::kOperator;
    id.name = std::string(parts[1]);
    return id;
  }
  return Bad(uri, "unknown party kind (expected la, recipient or operator)");
}

absl::StatusOr<PartyIdentity> IdentityFromCertificate(absl::string_view cert_pem) {
  absl::StatusOr<CertificateInfo> info = ParseCertificate(cert_pem);
  if (!info.ok()) {
    return absl::UnauthenticatedError(
        absl::StrCat("unreadable peer certificate: ", info.status().message()));
  }
  // Count every URI that looks like ours in any letter case, so that a second identity
  // spelled "URN:Ringfence:..." makes the certificate ambiguous (and refused) instead of
  // being ignored.
  std::vector<const std::string*> ours;
  for (const std::string& uri : info->uri_sans) {
    if (absl::StartsWithIgnoreCase(uri, kUrnPrefix)) ours.push_back(&uri);
  }
  if (ours.empty()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "certificate '", info->subject, "' carries no urn:ringfence: identity"));
  }
  if (ours.size() > 1) {
    return absl::UnauthenticatedError(absl::StrCat("certificate '", info->subject,
                                                   "' carries ", ours.size(),
                                                   " urn:ringfence: identities; exactly one "
                                                   "is allowed"));
  }
  absl::StatusOr<PartyIdentity> id = ParseIdentityUri(*ours.front());
  if (!id.ok()) return absl::UnauthenticatedError(id.status().message());
  return id;
}

std::string LaUri(absl::string_view la_code) { return absl::StrCat(kUrnPrefix, "la:", la_code); }

std::string RecipientUri(absl::string_view recipient_class, absl::string_view name) {
  return absl::StrCat(kUrnPrefix, "recipient:", recipient_class, ":", name);
}

std::string OperatorUri(absl::string_view name) {
  return absl::StrCat(kUrnPrefix, "operator:", name);
}

std::string DescribeIdentity(const PartyIdentity& id) {
  switch (id.kind) {
    case PartyKind::kLocalAuthority: {
      const catalogue::LocalAuthority* la = catalogue::FindLocalAuthority(id.la_code);
      return absl::StrCat("LA ", id.la_code, " (", la == nullptr ? "unknown" : la->la_name,
                          ")");
    }
    case PartyKind::kRecipient:
      return absl::StrCat("recipient ", id.name, " of class ", id.recipient_class);
    case PartyKind::kOperator:
      return absl::StrCat("operator ", id.name);
  }
  return "unknown party";
}

}  // namespace ringfence::crypto
